"""Section labels without slides (halo_core.labels.phrase_label) against the true topic titles of
the lecture corpus (../shared/tools/lecture_corpus.json): each topic's narration is labelled,
weighed against the other topics', and a label counts when it shares a content word (stemmed)
with the title ("Ocean tides" for "Ocean Tides"; "Strands" for "DNA Replication" does not).

    .venv/bin/python benchmarks/bench_labels.py
"""

from __future__ import annotations

import json

from lectures import SHARED

from halo_core.labels import phrase_label
from halo_core.text import content_terms


def main() -> None:
    corpus = json.loads((SHARED / "tools" / "lecture_corpus.json").read_text())
    topics = [
        (t["title"], [s for slide in t["slides"] for s in slide["narration"]])
        for t in corpus["topics"]
    ]
    said = [sentences for _, sentences in topics]
    hits = 0
    for i, (title, sentences) in enumerate(topics):
        label = phrase_label(sentences, said[:i] + said[i + 1 :])
        hit = bool(set(content_terms(label)) & set(content_terms(title)))
        hits += hit
        print(f"{'+' if hit else '-'} {title:40s} {label}")
    share = hits / len(topics)
    print(f"labels sharing a word with the true title: {hits}/{len(topics)} ({share:.0%})")


if __name__ == "__main__":
    main()
