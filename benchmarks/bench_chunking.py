"""Chunk boundaries vs the true topic boundaries: the `rules` chunker against the `fixed` baseline.

For each lecture (samples/lecture, and /work/shared/media/lecture-dev-* when present) the
transcript comes from the `subtitles` extractor (the sidecar .srt). Then, with whichever signal
extractors are installed (`scenedetect` from halo-scenedetect, `topics` from halo-semantic), the
rules chunker is run again on the richer timeline. Printed per lecture and chunker: boundary
precision / recall / F1 at ±5 s against truth.json's topic starts (excluding 0; the first topic
starts after a title card, which no 30 s minimum chunk can isolate, so F1 is also given without
that first start), chunk count and mean estimated tokens per chunk.

    .venv/bin/python benchmarks/bench_chunking.py [--tolerance 5] [MEDIA_DIR ...]
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

from lectures import ROOT, SHARED

from halo_core import RunContext, Timeline
from halo_core.chunking import boundary_f1
from halo_core.media import probe
from halo_core.plugins import get_registry

DEFAULT_MEDIA = [
    ROOT / "samples" / "lecture",
    *sorted((SHARED / "media").glob("lecture-dev-*")),
]


def timeline_for(media: Any, extractors: list[str]) -> tuple[Timeline, float]:
    """Run the named extractors in order; returns the timeline and the wall seconds taken."""
    registry = get_registry()
    timeline = Timeline(duration=media.duration)
    started = time.perf_counter()
    for name in extractors:
        extractor = registry.build("extractor", name)
        segments = extractor.extract(media, timeline, RunContext(stage=name))
        timeline = timeline.with_track(extractor.provides, segments)
    return timeline, time.perf_counter() - started


def score(chunks: list[Any], truth: list[float], tolerance: float) -> dict[str, float]:
    cuts = [c.start for c in chunks[1:]]
    p, r, f1 = boundary_f1(cuts, truth, tolerance)
    f1_content = boundary_f1(cuts, truth[1:], tolerance)[2]
    return {
        "precision": p,
        "recall": r,
        "f1": f1,
        "f1_no_first": f1_content,
        "chunks": len(chunks),
        "mean_tokens": sum(c.token_estimate for c in chunks) / len(chunks),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("media_dirs", nargs="*", type=Path, default=DEFAULT_MEDIA)
    parser.add_argument("--tolerance", type=float, default=5.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    registry = get_registry()
    installed = set(registry.names("extractor"))
    signal_sets = [["subtitles"]]
    if "scenedetect" in installed:
        signal_sets.append(["subtitles", "scenedetect"])
    if "topics" in installed:
        signal_sets.append(["subtitles", "topics"])
    if {"scenedetect", "topics"} <= installed:
        signal_sets.append(["subtitles", "scenedetect", "topics"])
    chunkers = {
        "rules": registry.build("chunker", "rules"),
        "fixed": registry.build("chunker", "fixed"),
    }

    columns = ["P", "R", "F1", "F1*", "chunks", "tok/chunk", "extract s"]
    header = f"{'media':<28} {'signals':<32} {'chunker':<7}" + "".join(f"{c:>10}" for c in columns)
    print(f"boundary F1 at ±{args.tolerance:g} s vs truth topic starts (F1*: without the first)")
    print(header)
    print("-" * len(header))
    totals: dict[tuple[str, str], list[float]] = {}
    for folder in args.media_dirs:
        video = folder / "lecture.mp4"
        truth_path = folder / "truth.json"
        if not (video.exists() and truth_path.exists()):
            print(f"{folder}: skipped (needs lecture.mp4 + truth.json)")
            continue
        truth = [t["start"] for t in json.loads(truth_path.read_text())["topics"] if t["start"] > 0]
        media = probe(video)
        for signals in signal_sets:
            timeline, extract_s = timeline_for(media, signals)
            names = ["rules", "fixed"] if signals == ["subtitles"] else ["rules"]
            for name in names:
                chunks = chunkers[name].chunk(timeline, media, RunContext(stage="chunk"))
                s = score(chunks, truth, args.tolerance)
                label = "+".join(signals)
                totals.setdefault((label, name), []).append(s["f1"])
                values = [s["precision"], s["recall"], s["f1"], s["f1_no_first"]]
                print(
                    f"{folder.name:<28} {label:<32} {name:<7}"
                    + "".join(f"{v:>10.2f}" for v in values)
                    + f"{s['chunks']:>10d}{s['mean_tokens']:>10.0f}{extract_s:>10.1f}"
                )
    print()
    print("mean F1 over the lectures:")
    for (label, name), values in totals.items():
        print(f"  {label:<32} {name:<6} {sum(values) / len(values):.2f}  (n={len(values)})")


if __name__ == "__main__":
    main()
