"""Q&A on the lectures' truth.json questions: retrieval, tokens vs naive, semantic cache.

For the shipped sample and each lecture in ../shared/media (or HALO_BENCH_MEDIA), this runs the
pipeline once (`halo run`: subtitles, rules chunker, sentence-transformers, numpy index, extractive;
into benchmarks/media/qa/), clears the run's cache, then:

- asks every original question: retrieval = the fraction whose top-3 citations overlap the
  answer's evidence span in truth.json; tokens = context input tokens vs the naive baseline
  (the whole transcript with the question); answer = the truth answer (or an alias) appears in it;
- asks every paraphrase after all originals: L2 hit rate; a hit returning another question's
  answer is a false hit;
- the originals themselves, each asked after the others, are the "different question about the
  same video" probes: any cache hit on one of them is a false hit.

Run: .venv/bin/python benchmarks/bench_qa.py [--budget N] [--embedder NAME --index NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / "media" / "qa"
SHARED = Path(os.environ.get("HALO_BENCH_MEDIA", REPO.parent / "shared" / "media"))

SPEC = """\
version: 1
name: bench-qa
inputs: [{media}]
extractors:
  - use: {extractor}
chunker: {{use: rules, with: {{min_duration: 20, max_duration: 120}}}}
embedder: {{use: {embedder}}}
index: {{use: {index}}}
cache: {{use: sqlite, with: {{path: cache.db}}}}
llm: {{use: extractive}}
tasks: {{summarize: true, notes: false}}
outputs: runs
"""


def datasets() -> list[tuple[str, Path]]:
    found = [("sample-lecture", REPO / "samples" / "lecture")]
    if SHARED.is_dir():
        found += [(d.name, d) for d in sorted(SHARED.iterdir()) if (d / "truth.json").is_file()]
    return found


def make_run(
    name: str, source: Path, embedder: str, index: str, extractor: str = "subtitles"
) -> Path:
    """A run of `source`'s lecture, its transcript read from the subtitles or recognised by
    `extractor` (faster-whisper)."""
    folder = WORK / f"{name}-{embedder}-{extractor}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spec.yaml").write_text(
        SPEC.format(
            media=source / "lecture.mp4", embedder=embedder, index=index, extractor=extractor
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "halo_core.cli", "-q", "run", "spec.yaml"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"halo run failed for {name}:\n{done.stderr}")
    return folder / "runs" / "bench-qa" / "lecture"


def overlaps(citation, evidence) -> bool:  # type: ignore[no-untyped-def]
    return any(citation.start < e["end"] and e["start"] < citation.end for e in evidence)


def bench(name: str, source: Path, args: argparse.Namespace) -> dict[str, float]:
    from halo_core.qa import open_qa
    from halo_core.tiered_cache import clear_tier

    run_dir = make_run(name, source, args.embedder, args.index)
    questions = json.loads((source / "truth.json").read_text())["questions"]
    qa = open_qa(run_dir, args.budget)
    clear_tier(qa.pipeline.cache, "l1")
    clear_tier(qa.pipeline.cache, "l2")
    qa.gateway.semantic.forget()  # type: ignore[union-attr]
    retrieved = correct = 0
    tokens: list[float] = []
    naive: list[float] = []
    false_hits = 0
    texts: dict[str, int] = {}
    misses: list[str] = []
    t0 = time.perf_counter()
    for number, q in enumerate(questions):
        answer = qa.ask(q["question"])
        if answer.cache_tier is not None:
            false_hits += 1
        hit = any(overlaps(c, q["evidence"]) for c in answer.citations[:3])
        retrieved += hit
        if not hit:
            misses.append(q["question"])
        correct += any(t.lower() in answer.answer.lower() for t in [q["answer"], *q["aliases"]])
        tokens.append(answer.usage.input_tokens)
        naive.append(answer.naive_input_tokens)
        texts[_body(answer.answer)] = number
    ask_s = (time.perf_counter() - t0) / len(questions)
    paraphrases = hits = 0
    for number, q in enumerate(questions):
        for p in q["paraphrases"]:
            paraphrases += 1
            answer = qa.ask(p)
            if answer.cache_tier == "l2":
                if texts.get(_body(answer.answer), number) == number:
                    hits += 1
                else:
                    false_hits += 1
    qa.close()
    n = len(questions)
    result = {
        "questions": n,
        "retrieval_top3": retrieved / n,
        "answer_contains_truth": correct / n,
        "input_tokens_mean": statistics.mean(tokens),
        "naive_tokens_mean": statistics.mean(naive),
        "token_reduction": 1 - sum(tokens) / sum(naive),
        "l2_paraphrase_hit_rate": hits / paraphrases,
        "false_hits": false_hits,
        "seconds_per_question": ask_s,
    }
    if args.verbose and misses:
        print(f"  {name} retrieval misses: {misses}")
    return result


def _body(answer_text: str) -> str:
    """The LLM's reply without the citation labels (a cache hit keeps the reply, not the spans)."""
    return answer_text.split(" [", 1)[0]


ROW = "{:<28} {:>3} {:>6} {:>6} {:>7} {:>7} {:>6} {:>7} {:>5} {:>5}"


def row(name: str, r: dict[str, float]) -> str:
    return ROW.format(
        name,
        r["questions"],
        f"{r['retrieval_top3']:.2f}",
        f"{r['answer_contains_truth']:.2f}",
        f"{r['input_tokens_mean']:.0f}",
        f"{r['naive_tokens_mean']:.0f}",
        f"{r['token_reduction']:.0%}",
        f"{r['l2_paraphrase_hit_rate']:.2f}",
        r["false_hits"],
        f"{r.get('seconds_per_question', 0):.2f}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=None, help="context tokens per question")
    parser.add_argument("--margin", type=float, default=None, help="override qa.WINDOW_MARGIN")
    parser.add_argument("--max-windows", type=int, default=None, help="override qa.MAX_WINDOWS")
    parser.add_argument("--embedder", default="sentence-transformers")
    parser.add_argument("--index", default="numpy")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    from halo_core.qa import answering as qa  # its tuning constants, overridden below

    qa.WINDOW_MARGIN = args.margin if args.margin is not None else qa.WINDOW_MARGIN
    qa.MAX_WINDOWS = args.max_windows or qa.MAX_WINDOWS
    args.budget = args.budget or qa.DEFAULT_BUDGET
    print(
        f"bench_qa: embedder {args.embedder}, index {args.index}, budget {args.budget} tokens, "
        f"window margin {qa.WINDOW_MARGIN}, max windows {qa.MAX_WINDOWS}"
    )
    print(
        ROW.format(
            "media", "q", "top3", "answer", "tokens", "naive", "fewer", "L2 hit", "false", "s/q"
        )
    )
    results = []
    for name, source in datasets():
        results.append(bench(name, source, args))
        print(row(name, results[-1]))
    total = sum(r["questions"] for r in results)
    tokens = sum(r["input_tokens_mean"] * r["questions"] for r in results)
    naive = sum(r["naive_tokens_mean"] * r["questions"] for r in results)
    overall = {
        k: sum(r[k] * r["questions"] for r in results) / total
        for k in ("retrieval_top3", "answer_contains_truth", "l2_paraphrase_hit_rate")
    }
    overall.update(
        questions=total,
        input_tokens_mean=tokens / total,
        naive_tokens_mean=naive / total,
        token_reduction=1 - tokens / naive,
        false_hits=sum(r["false_hits"] for r in results),
    )
    print(row("all", overall))
    print("targets: top3 >= 0.90, fewer >= 80%, L2 hit >= 0.60, false = 0")


if __name__ == "__main__":
    main()
