"""Local vs Ray on many videos: wall time, media minutes per minute, Ray overhead, worker memory and
model loads, all measured in one run of this script.

Runs one spec (default: pipelines/lecture.yaml's extractors on each generated lecture, with the
offline defaults) over N generated lectures three ways, each into a fresh outputs folder and
cache, models not yet loaded (each run is a new `halo run` process):
  local    — the local executor, inputs one after the other;
  ray x1   — a private Ray cluster with one worker process;
  ray x2   — a private Ray cluster with two worker processes.
Prints wall, media minutes per wall minute, ray x1 / local (the executor's overhead; target
<= 1.10), and from batch.json the workers' model loads (must equal the workers, not the videos).
Peak memory per worker is read from the workers' /proc status while they run.

    .venv/bin/python benchmarks/bench_ray.py                  # 6 lectures of 3 minutes
    .venv/bin/python benchmarks/bench_ray.py --videos 3 --minutes 2
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml
from lectures import generated_lecture

ROOT = Path(__file__).resolve().parents[1]
HALO = Path(sys.executable).with_name("halo")


def lectures(count: int, minutes: int, folder: Path) -> list[Path]:
    """`count` generated lectures, copied into `folder` under names of their own (each is
    lecture.mp4 in its own folder; inputs of one run need distinct names, and links would be
    resolved back to the shared one)."""
    links = []
    for seed in range(8100, 8100 + count):
        name = f"ray-{minutes}min-{seed}"
        link = folder / f"{name}.mp4"
        shutil.copy(generated_lecture(name, "--seed", str(seed), "--topics", "3",
                                      "--minutes", str(minutes)) / "lecture.mp4", link)
        links.append(link)
    return links


def worker_peaks(stop: threading.Event, peaks: dict[int, int]) -> None:
    """VmHWM (kB) of every Ray worker process seen running a HALO stage."""
    while not stop.is_set():
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
                cmdline = (status.parent / "cmdline").read_text()
            except OSError:
                continue
            if "StageWorker" not in cmdline:
                continue
            for line in text.splitlines():
                if line.startswith("VmHWM:"):
                    pid = int(status.parent.name)
                    peaks[pid] = max(peaks.get(pid, 0), int(line.split()[1]))
        stop.wait(0.5)


def run(spec: Path, name: str, inputs: list[Path], work: Path, executor: list[str]) -> dict:
    peaks: dict[int, int] = {}
    stop = threading.Event()
    watcher = threading.Thread(target=worker_peaks, args=(stop, peaks), daemon=True)
    watcher.start()
    t0 = time.monotonic()
    subprocess.run([str(HALO), "run", str(spec), "-q", "--out", str(work / "runs"), *executor,
                    *[a for path in inputs for a in ("--input", str(path))]],
                   cwd=work, check=True, stderr=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    stop.set()
    watcher.join()
    batch = json.loads((work / "runs" / name / "batch.json").read_text())
    return {"wall": wall, "batch": batch, "peaks_mb": sorted(v / 1024 for v in peaks.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spec", type=Path, default=ROOT / "pipelines" / "lecture.yaml")
    parser.add_argument("--videos", type=int, default=6)
    parser.add_argument("--minutes", type=int, default=3)
    args = parser.parse_args()
    inputs = lectures(args.videos, args.minutes, Path(tempfile.mkdtemp(prefix="bench-ray-")))
    data = yaml.safe_load(args.spec.read_text())
    data.pop("inputs", None)
    data["tasks"] = {"summarize": True, "ask": ["What are the main topics?"]}
    media_min = args.videos * args.minutes
    rows = []
    for label, executor in [("local", []),
                            ("ray x1", ["--executor", "ray", "--set", "executor.with.workers=1"]),
                            ("ray x2", ["--executor", "ray", "--set", "executor.with.workers=2"])]:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            spec = work / args.spec.name
            spec.write_text(yaml.safe_dump(data, sort_keys=False))
            result = run(spec, data["name"], inputs, work, executor)
        rows.append((label, result))
        print(f"{label:7s} wall {result['wall']:7.1f} s   "
              f"{media_min / (result['wall'] / 60):5.2f} media min / min   "
              f"model loads {result['batch']['executor'].get('model_loads', '-')}   "
              f"worker peak RSS MB {[round(p) for p in result['peaks_mb']] or '-'}", flush=True)
    local, one, two = (r["wall"] for _, r in rows)
    print(f"\n{args.videos} videos x {args.minutes} min; ray x1 / local = {one / local:.3f} "
          f"(target <= 1.10); ray x2 / local = {two / local:.3f}; ray x2 / ray x1 = "
          f"{two / one:.3f}")


if __name__ == "__main__":
    main()
