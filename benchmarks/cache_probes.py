"""Probes of the semantic cache made from a lecture's truth.json: paraphrases that should hit the
question they paraphrase, and hard negatives that must never hit anything.

Hard negatives are different questions about the same passage or topic, made by rule from the
truth's questions and answers (no hand-picking, so they are as hard on a lecture never seen):

- `wh-swap`: the question with its wh-phrase replaced by one asking for another kind of answer
  ("How long will the Sun …?" -> "Why will the Sun …?"), where an auxiliary follows it;
- `about-answer`: questions about the answer instead of for it ("What is helicase?", "Why is
  helicase important?"): retrieved from the very same sentence as the original;
- `sibling`: the other questions about the same topic (and their paraphrases).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lectures import MAKE_LECTURE, MEDIA, generated_lecture

_AUX_WORDS = "is are was were do does did will would can could should has have had must"
_AUX = frozenset(_AUX_WORDS.split())
_BE = {"is", "are", "was", "were"}
_WH = re.compile(
    r"^(how (?:many|much|long|far|often)|what \w+|which \w+|who|when|where|why|what|how)\s+(\w+)\s",
    re.I,
)
_SWAPS = {"person": "Who", "time": "When", "place": "Where", "reason": "Why", "count": "How many"}
_TYPE = {"who": "person", "when": "time", "where": "place", "why": "reason", "how many": "count"}


@dataclass(frozen=True)
class Probe:
    text: str
    kind: str  # "paraphrase" | "wh-swap" | "about-answer" | "sibling"
    target: int | None  # the index of the question it must hit (paraphrases), else None
    topic: str


def wh_swaps(question: str) -> list[str]:
    """Up to two variants asking for a different kind of answer, or none when the question does
    not start with a wh-phrase followed by an auxiliary."""
    m = _WH.match(question)
    if m is None or m.group(2).lower() not in _AUX:
        return []
    if " " in m.group(1) and not m.group(1).lower().startswith("how") and m.group(2) in _BE:
        return []  # "What index is used …": the noun is the subject, "Why is used …" no question
    own = _TYPE.get(m.group(1).lower())
    rest = question[m.end(1) :]
    kinds = [k for k in ("reason", "time", "place", "person") if k != own]
    return [_SWAPS[k] + rest for k in kinds[:2]]


def about_answer(answer: str) -> list[str]:
    return [f"What is {answer}?", f"Why is {answer} important?"]


def probes(truth: dict[str, Any]) -> list[Probe]:
    questions = truth["questions"]
    found: list[Probe] = []
    for n, q in enumerate(questions):
        topic = q.get("topic_id", "")
        found += [Probe(p, "paraphrase", n, topic) for p in q["paraphrases"]]
        found += [Probe(t, "wh-swap", None, topic) for t in wh_swaps(q["question"])]
        found += [Probe(t, "about-answer", None, topic) for t in about_answer(q["answer"])]
    return found


# The corpus of make_lecture.py has 18 topics (3 questions, 6 paraphrases each). The semantic
# cache's decision was tuned on the shared dev lectures, whose topics are these; the held-out
# lectures are made from the other six only, so no tuned question or paraphrase is among them.
TUNING_TOPICS = [
    "database-indexes",
    "dna-replication",
    "immune-system",
    "impressionism",
    "inflation",
    "ocean-tides",
    "photosynthesis",
    "printing-press",
    "public-key-crypto",
    "scales-intervals",
    "stellar-life-cycle",
    "supply-demand",
]
HELD_OUT_SEEDS = (201, 202)


def held_out_lectures() -> list[Path]:
    """Two 8-minute lectures (seeds 201, 202) over every topic not in TUNING_TOPICS, made once
    into benchmarks/media/ from a copy of the corpus that holds only those topics."""
    corpus = json.loads((MAKE_LECTURE.parent / "lecture_corpus.json").read_text())
    corpus["topics"] = [t for t in corpus["topics"] if t["id"] not in TUNING_TOPICS]
    MEDIA.mkdir(parents=True, exist_ok=True)
    held_out = MEDIA / "held-out-corpus.json"
    held_out.write_text(json.dumps(corpus))
    topics = str(len(corpus["topics"]))
    return [
        generated_lecture(
            f"cache-held-out-{seed}",
            *("--seed", str(seed), "--topics", topics, "--minutes", "8"),
            *("--corpus", str(held_out)),
        )
        for seed in HELD_OUT_SEEDS
    ]


def main() -> None:
    """Print a truth.json's probes as JSON (tests/fixtures/l2_probes.json is made this way)."""
    truth = json.loads(Path(sys.argv[1]).read_text())
    found = probes(truth)
    record = {
        "questions": [q["question"] for q in truth["questions"]],
        "paraphrases": [[p.text, p.target] for p in found if p.kind == "paraphrase"],
        "hard_negatives": [[p.text, p.kind] for p in found if p.kind != "paraphrase"],
    }
    print(json.dumps(record, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
