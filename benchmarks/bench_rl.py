"""PPO chunker vs rules vs fixed on generated lectures that were not used for training.

Generates lectures with ../shared/tools/make_lecture.py (seeds the policy never saw: it trains
on synthetic timelines only), runs HALO on each (subtitles + scenedetect + topics, so every
chunker sees the same signals), then compares the chunkers with `halo rl eval`: boundary F1
against the topic truth at ±5 s, coherence, chunk count and tokens per chunk. With --train, also
times a training run of the shipped policy's recipe.

    .venv/bin/python benchmarks/bench_rl.py [--lectures 6] [--minutes 8] [--train]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from lectures import MEDIA as ALL_MEDIA
from lectures import generated_lecture

MEDIA = ALL_MEDIA / "rl"
HALO = [sys.executable, "-m", "halo_core.cli"]
SPEC = """\
version: 1
name: rl-bench
extractors:
  - use: subtitles
  - use: scenedetect
  - use: topics
chunker: {use: rules}
embedder: {use: hashing}
index: {use: numpy}
cache: {use: memory}
llm: {use: extractive}
tasks: {summarize: false, notes: false}
outputs: %s
"""


def lecture(seed: int, minutes: float, subtle: bool) -> Path:
    style = ("--cut-style", "subtle", "--presenter-inset") if subtle else ()
    return generated_lecture(
        f"rl/seed{seed}-{minutes:g}min{'-subtle' if subtle else ''}",
        *("--seed", str(seed), "--topics", str(max(3, round(minutes * 0.8)))),
        *("--minutes", str(minutes), *style),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lectures", type=int, default=6)
    parser.add_argument("--minutes", type=float, default=8.0)
    parser.add_argument(
        "--first-seed",
        type=int,
        default=950,
        help="lectures use seeds from here on (900-905 were used to choose "
        "between policy variants; report on others)",
    )
    parser.add_argument("--train", action="store_true", help="also time `make policy`'s training")
    args = parser.parse_args()

    folders = [
        lecture(args.first_seed + i, args.minutes, subtle=i % 2 == 1) for i in range(args.lectures)
    ]
    runs_root = MEDIA / "runs"
    spec = MEDIA / "rl-bench.yaml"
    spec.write_text(SPEC % runs_root)
    # Every input is named lecture.mp4, so each gets its own outputs folder.
    started = time.perf_counter()
    run_dirs = []
    for folder in folders:
        out = runs_root / folder.name
        subprocess.run(
            [
                *HALO,
                "run",
                str(spec),
                "--input",
                str(folder / "lecture.mp4"),
                "--out",
                str(out),
                "-q",
            ],
            check=True,
        )
        run_dirs.append(out / "rl-bench" / "lecture")
    print(f"extraction of {len(folders)} lectures: {time.perf_counter() - started:.0f} s")
    truths = [arg for f in folders for arg in ("--truth", str(f / "truth.json"))]
    subprocess.run(
        [*HALO, "rl", "eval", *map(str, run_dirs), *truths, "--plot", str(MEDIA / "rl-eval.svg")],
        check=True,
    )

    if args.train:
        started = time.perf_counter()
        subprocess.run(
            [
                *HALO,
                "rl",
                "train",
                "--synthetic",
                "128",
                "--steps",
                "200000",
                "--restarts",
                "3",
                "--seed",
                "0",
                "--out",
                str(MEDIA / "policy-retrained.npz"),
            ],
            check=True,
        )
        print(
            f"training wall time (128 synthetic timelines, 200k steps, 3 seeds): "
            f"{time.perf_counter() - started:.0f} s"
        )


if __name__ == "__main__":
    main()
