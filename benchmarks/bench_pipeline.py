"""The whole offline pipeline (pipelines/lecture.yaml) against its speech recognition stage.

Runs `halo run` on a generated lecture in a new process (first run: empty cache and run folder,
no model loaded), then prints from its report.json: whole wall, the ASR stage's wall, their
ratio (goal ≤ 1.15), peak RSS, and each stage's span; writes a Gantt-style SVG of when each stage
ran (`StageReport.started_s` / `ended_s`). Then the bare engine on the same file, in a new
process: faster-whisper's `decode_audio` + `WhisperModel.transcribe` with the stage's defaults.

Run: nice -n 10 .venv/bin/python benchmarks/bench_pipeline.py [--minutes 10] [--media FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lectures import MEDIA, ROOT, long_lecture  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ASR_STAGE = "transcript"
BARE = """
import sys, time
t0 = time.perf_counter()
from faster_whisper import decode_audio
from halo_whisper.faster import FasterWhisper, load_model
config = FasterWhisper.Config()
model = load_model("bundled", "cpu", "int8", 0)
t1 = time.perf_counter()
pieces, _ = model.transcribe(decode_audio(sys.argv[1]), beam_size=config.beam_size,
                             vad_filter=config.vad, word_timestamps=True)
words = sum(len(p.words or []) for p in pieces)
t2 = time.perf_counter()
print(f"{t1 - t0:.2f} {t2 - t1:.2f} {words}")
"""


def run_pipeline(media: Path, work: Path) -> dict:
    """`halo run` of pipelines/lecture.yaml on `media` in a fresh folder; its report.json."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    spec = yaml.safe_load((ROOT / "pipelines" / "lecture.yaml").read_text())
    spec["inputs"] = [str(media)]
    spec["cache"] = {"use": "sqlite", "with": {"path": str(work / "cache.db")}}
    spec["outputs"] = str(work / "runs")
    (work / "spec.yaml").write_text(yaml.safe_dump(spec))
    started = time.perf_counter()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "halo"), "-q", "run", str(work / "spec.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"halo run failed:\n{done.stderr}")
    report = json.loads(next((work / "runs").rglob("report.json")).read_text())
    report["process_wall_s"] = time.perf_counter() - started
    return report


def gantt_svg(report: dict, path: Path) -> None:
    """One bar per stage from started_s to ended_s, on the run's time axis."""
    stages = report["stages"]
    total = max(report["wall_s"], 1e-6)
    width, row, left = 900, 24, 140
    scale = (width - left - 20) / total
    bars = []
    for n, s in enumerate(stages):
        y = 30 + n * row
        x0 = left + s["started_s"] * scale
        w = max(1.0, (s["ended_s"] - s["started_s"]) * scale)
        colour = "#d9822b" if s["stage"] == ASR_STAGE else "#4a7fb5"
        bars.append(
            f'<text x="5" y="{y + 15}" font-size="12">{s["stage"]}</text>'
            f'<rect x="{x0:.1f}" y="{y}" width="{w:.1f}" height="{row - 6}" fill="{colour}">'
            f"<title>{s['stage']}: {s['started_s']:.1f}–{s['ended_s']:.1f} s</title></rect>"
        )
    height = 50 + len(stages) * row
    axis = f'<text x="{left}" y="18" font-size="12">0 s … {total:.1f} s (whole run)</text>'
    path.write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
        f"{axis}{''.join(bars)}</svg>\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=10, help="generated lecture length")
    parser.add_argument("--media", type=Path, default=None, help="a media file instead")
    args = parser.parse_args()
    media = args.media or long_lecture(args.minutes) / "lecture.mp4"
    work = MEDIA / "pipeline" / media.parent.name
    report = run_pipeline(media.resolve(), work)
    stages = {s["stage"]: s for s in report["stages"]}
    asr = stages[ASR_STAGE]["wall_s"]
    print(f"media: {media} ({report['media']['duration']:.0f} s)")
    print(f"{'stage':14} {'start_s':>8} {'end_s':>8} {'wall_s':>8} {'rss_mb':>8}")
    for s in report["stages"]:
        print(
            f"{s['stage']:14} {s['started_s']:8.1f} {s['ended_s']:8.1f} {s['wall_s']:8.1f} "
            f"{s['peak_rss_mb'] or 0:8.0f}"
        )
    print(f"whole run wall {report['wall_s']:.1f} s (process {report['process_wall_s']:.1f} s)")
    print(f"whole / ASR stage = {report['wall_s'] / asr:.2f} (goal ≤ 1.15)")
    print(f"peak RSS {report['peak_rss_mb']:.0f} MB (goal ≤ 1000 MB on 60 min)")
    svg = work / "stages.svg"
    gantt_svg(report, svg)
    print(f"stage timeline: {svg}")
    bare = subprocess.run(
        [sys.executable, "-c", BARE, str(media)], capture_output=True, text=True, check=True
    )
    load_s, transcribe_s, _words = (float(x) for x in bare.stdout.split())
    print(
        f"bare faster-whisper: load+imports {load_s:.1f} s, decode+transcribe {transcribe_s:.1f} s"
    )
    print(f"halo ASR stage / bare transcribe = {asr / transcribe_s:.2f}")
    print(
        f"whole run / bare (load + transcribe) = {report['wall_s'] / (load_s + transcribe_s):.2f}"
    )


if __name__ == "__main__":
    main()
