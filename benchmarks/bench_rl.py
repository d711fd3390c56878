"""PPO chunker vs rules vs fixed on generated lectures that were not used for training.

Generates one lecture per --minutes value with ../shared/tools/make_lecture.py (seeds from
--first-seed on, contrast and subtle cut styles in turn), runs HALO on each (subtitles +
scenedetect + topics, so every chunker sees the same signals), then compares the chunkers with
`halo rl eval`: boundary F1 against the topic truth at ±5 s, coherence, chunk count and tokens per
chunk, per lecture. With --train, also times `make policy` (into benchmarks/media/rl/) and checks
that it reproduces the shipped policy byte for byte.

Seeds used so far: 900-905 and 950-955 chose between policy variants (900-903 still do: the dev
set, `--first-seed 900 --minutes 8 8 16 16`); 7301-7308 are the held-out lectures of issue 18 —
never trained on, never used to choose anything:

    .venv/bin/python benchmarks/bench_rl.py --first-seed 7301 --minutes 8 12 16 20 25 30 30 8
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from lectures import MEDIA as ALL_MEDIA
from lectures import ROOT, generated_lecture

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


CORPUS_TOPICS = 18  # make_lecture.py's corpus has 18 topics


def lecture(seed: int, minutes: float, subtle: bool) -> Path:
    style = ("--cut-style", "subtle", "--presenter-inset") if subtle else ()
    topics = min(CORPUS_TOPICS, max(3, round(minutes * 0.8)))
    return generated_lecture(
        f"rl/seed{seed}-{minutes:g}min{'-subtle' if subtle else ''}",
        *("--seed", str(seed), "--topics", str(topics)),
        *("--minutes", str(minutes), *style),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--minutes",
        type=float,
        nargs="+",
        default=[8, 12, 16, 20, 25, 30, 30, 8],
        help="one lecture of each length",
    )
    parser.add_argument(
        "--first-seed",
        type=int,
        default=7301,
        help="lectures use seeds from here on (see above for the seeds already used)",
    )
    parser.add_argument("--policy", help="evaluate this policy file instead of the bundled one")
    parser.add_argument("--train", action="store_true", help="also time `make policy`'s training")
    args = parser.parse_args()

    folders = [
        lecture(args.first_seed + i, minutes, subtle=i % 2 == 1)
        for i, minutes in enumerate(args.minutes)
    ]
    runs_root = MEDIA / "runs"
    spec = MEDIA / "rl-bench.yaml"
    spec.write_text(SPEC % runs_root)
    # Every input is named lecture.mp4, so each gets its own outputs folder.
    started = time.perf_counter()
    run_dirs = []
    for folder in folders:
        out = runs_root / folder.name
        run_dirs.append(out / "rl-bench" / "lecture")
        if (run_dirs[-1] / "timeline.json").is_file():
            continue  # extracted by an earlier run of this benchmark
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
    print(f"extraction of {len(folders)} lectures: {time.perf_counter() - started:.0f} s")
    truths = [arg for f in folders for arg in ("--truth", str(f / "truth.json"))]
    policy = ["--policy", args.policy] if args.policy else []
    subprocess.run(
        [
            *HALO,
            "rl",
            "eval",
            *map(str, run_dirs),
            *truths,
            *policy,
            "--plot",
            str(MEDIA / "rl-eval.svg"),
        ],
        check=True,
    )

    if args.train:
        started = time.perf_counter()
        retrained = MEDIA / "policy-retrained.npz"
        subprocess.run(["make", "-C", str(ROOT), "policy", f"POLICY_OUT={retrained}"], check=True)
        same = (
            retrained.read_bytes() == (ROOT / "plugins/halo-rl/src/halo_rl/policy.npz").read_bytes()
        )
        print(
            f"`make policy` wall time: {time.perf_counter() - started:.0f} s; "
            f"{'the same file as' if same else 'DIFFERENT from'} the shipped policy"
        )


if __name__ == "__main__":
    main()
