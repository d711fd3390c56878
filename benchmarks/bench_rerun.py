"""First run vs re-run of `halo run`: how much of the work a second run of the same spec redoes.

Runs `halo run SPEC` twice into a fresh outputs folder (and a fresh working directory, so the LLM
cache starts empty too), then prints each run's wall time — of the whole process and of the
runner itself (report.json `wall_s`) — and the ratios. Target: re-run / first run < 0.05.

    .venv/bin/python benchmarks/bench_rerun.py                     # pipelines/lecture.yaml, sample
    .venv/bin/python benchmarks/bench_rerun.py --minutes 10        # a generated 10-minute lecture
    .venv/bin/python benchmarks/bench_rerun.py --spec pipelines/subtitles.yaml
    .venv/bin/python benchmarks/bench_rerun.py --extractor subtitles --extractor scenedetect

Generated lectures go to benchmarks/media/ (made with the shared make_lecture.py when missing).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from lectures import long_lecture

ROOT = Path(__file__).resolve().parents[1]
HALO = Path(sys.executable).with_name("halo")


def with_extractors(spec: Path, names: list[str], folder: Path) -> Path:
    """A copy of `spec` in `folder` whose extractors are `names` (inputs kept where they were)."""
    data = yaml.safe_load(spec.read_text())
    data["extractors"] = [{"use": name} for name in names]
    data["inputs"] = [str((spec.parent / p).resolve()) for p in data.get("inputs", [])]
    copy = folder / spec.name
    copy.write_text(yaml.safe_dump(data, sort_keys=False))
    return copy


def halo_run(spec: Path, out: Path, cwd: Path, inputs: list[Path]) -> tuple[float, list[dict]]:
    """(process wall seconds, the reports written) of one `halo run`."""
    args = [str(HALO), "run", str(spec), "--out", str(out), "-q"]
    for path in inputs:
        args += ["--input", str(path)]
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"halo run failed ({done.returncode}):\n{done.stderr}")
    reports = [json.loads(p.read_text()) for p in sorted(out.glob("*/*/report.json"))]
    return wall, reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=ROOT / "pipelines" / "lecture.yaml")
    parser.add_argument(
        "--minutes",
        type=int,
        default=0,
        help="run on a generated lecture of this length instead of the spec's inputs",
    )
    parser.add_argument(
        "--extractor",
        action="append",
        default=[],
        metavar="NAME",
        help="run these extractors instead of the spec's (repeatable)",
    )
    options = parser.parse_args()
    spec = options.spec.resolve()
    inputs = [long_lecture(options.minutes) / "lecture.mp4"] if options.minutes else []

    with tempfile.TemporaryDirectory(prefix="bench-rerun-") as scratch:
        cwd = Path(scratch)
        if options.extractor:
            spec = with_extractors(spec, options.extractor, cwd)
        out = cwd / "runs"
        first_wall, first = halo_run(spec, out, cwd, inputs)
        second_wall, second = halo_run(spec, out, cwd, inputs)

    media_s = sum(r["media"]["duration"] for r in first)
    first_runner = sum(r["wall_s"] for r in first)
    second_runner = sum(r["wall_s"] for r in second)
    reused = sum(s["reused"] for r in second for s in r["stages"])
    stages = sum(len(r["stages"]) for r in second)
    llm_calls = [sum(m["requests"] for m in r["llm"].values()) for r in (*first, *second)]
    extractors = ", ".join(options.extractor) or "as in the spec"
    print(f"spec: {options.spec} (extractors: {extractors})")
    print(f"media: {media_s:.1f} s in {len(first)} input(s)")
    print(
        f"first run:  process {first_wall:7.2f} s   runner {first_runner:7.3f} s   "
        f"LLM requests {sum(llm_calls[: len(first)])}"
    )
    print(
        f"second run: process {second_wall:7.2f} s   runner {second_runner:7.3f} s   "
        f"LLM requests {sum(llm_calls[len(first) :])}   stages reused {reused}/{stages}"
    )
    print(
        f"ratio (second / first): process {second_wall / first_wall:.3f}   "
        f"runner {second_runner / first_runner:.3f}   (target < 0.05)"
    )


if __name__ == "__main__":
    main()
