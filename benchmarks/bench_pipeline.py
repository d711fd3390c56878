"""The whole offline pipeline (pipelines/lecture.yaml) against its speech recognition stage.

Runs `halo run` on a lecture in a new process (first run: empty cache and run folder, no model
loaded) while sampling the RSS of its whole process tree every 0.2 s, then prints from its
report.json: whole wall, the ASR stage's wall, their ratio (goal ≤ 1.15), peak RSS (goal
≤ 1000 MB on 60 minutes) and when it peaked, and each stage's span; writes a Gantt-style SVG of
when each stage ran (`StageReport.started_s` / `ended_s`) with the RSS curve under it, and the
figures as summary.json beside it. Optional, each in a new process on the same file:
`--alone`: the same faster-whisper stage alone (whole ÷ ASR alone: what the other stages cost
the run on these cores); `--bare`: faster-whisper's `decode_audio` + `WhisperModel.transcribe`
with the stage's defaults; `--against SUMMARY`: peak RSS ÷ another run's (3 h ÷ 10 min,
goal ≤ 1.2).

Run: nice -n 10 .venv/bin/python benchmarks/bench_pipeline.py [--minutes 10 | --media FILE]
     [--alone] [--bare] [--against benchmarks/media/pipeline/<name>/summary.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lectures import MEDIA, ROOT, long_lecture  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ASR_STAGE = "transcript"
SAMPLE_S = 0.2
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


def tree_rss_mb(root: int) -> float:
    """RSS of `root` and every process below it (a stage may run in a child process)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            continue
    return total / 2**20


def run_sampled(
    command: list[str],
) -> tuple[subprocess.CompletedProcess[str], list[tuple[float, float]]]:
    """Run `command`, sampling its process tree's RSS; (the finished process, [(s, MB)])."""
    samples: list[tuple[float, float]] = []
    started = time.monotonic()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(SAMPLE_S):
            samples.append((time.monotonic() - started, tree_rss_mb(child.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    done.set()
    sampler.join()
    return subprocess.CompletedProcess(command, child.returncode, out, err), samples


def run_spec(media: Path, work: Path, extractors: list | None = None) -> dict:
    """`halo run` of pipelines/lecture.yaml on `media` in a fresh folder (only `extractors` and
    no tasks, when given); its report.json, with the process's wall and RSS samples."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    spec = yaml.safe_load((ROOT / "pipelines" / "lecture.yaml").read_text())
    spec["inputs"] = [str(media)]
    spec["cache"] = {"use": "sqlite", "with": {"path": str(work / "cache.db")}}
    spec["outputs"] = str(work / "runs")
    if extractors is not None:
        spec["extractors"], spec["tasks"] = extractors, {"summarize": False}
    (work / "spec.yaml").write_text(yaml.safe_dump(spec))
    started = time.perf_counter()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done, samples = run_sampled(
        [str(Path(sys.executable).parent / "halo"), "-q", "run", str(work / "spec.yaml")]
    )
    if done.returncode != 0:
        sys.exit(f"halo run failed:\n{done.stderr}")
    report = json.loads(next((work / "runs").rglob("report.json")).read_text())
    report["process_wall_s"] = time.perf_counter() - started
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    report["cpu_s"] = (cpu.ru_utime - cpu_before.ru_utime) + (cpu.ru_stime - cpu_before.ru_stime)
    report["rss_samples"] = samples
    return report


def gantt_svg(report: dict, path: Path) -> None:
    """One bar per stage from started_s to ended_s on the run's time axis, and the process
    tree's RSS under them (on the process's axis, which starts before the run's)."""
    stages = report["stages"]
    samples = report["rss_samples"]
    offset = report["process_wall_s"] - report["wall_s"]  # imports and plugin loading
    total = max(report["process_wall_s"], 1e-6)
    width, row, left = 900, 24, 140
    scale = (width - left - 20) / total
    bars = []
    for n, s in enumerate(stages):
        y = 30 + n * row
        x0 = left + (offset + s["started_s"]) * scale
        w = max(1.0, (s["ended_s"] - s["started_s"]) * scale)
        colour = "#d9822b" if s["stage"] == ASR_STAGE else "#4a7fb5"
        bars.append(
            f'<text x="5" y="{y + 15}" font-size="12">{s["stage"]}</text>'
            f'<rect x="{x0:.1f}" y="{y}" width="{w:.1f}" height="{row - 6}" fill="{colour}">'
            f"<title>{s['stage']}: {s['started_s']:.1f}–{s['ended_s']:.1f} s</title></rect>"
        )
    top = 40 + len(stages) * row
    plot_h = 120
    peak = max((mb for _, mb in samples), default=1.0)
    points = " ".join(
        f"{left + t * scale:.1f},{top + plot_h - mb / peak * plot_h:.1f}" for t, mb in samples
    )
    height = top + plot_h + 30
    axis = (
        f'<text x="{left}" y="18" font-size="12">0 s … {total:.1f} s (process; the run starts '
        f"at {offset:.1f} s)</text>"
    )
    curve = (
        f'<text x="5" y="{top + 15}" font-size="12">RSS (peak {peak:.0f} MB)</text>'
        f'<polyline fill="none" stroke="#b54a4a" stroke-width="1.5" points="{points}"/>'
    )
    path.write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
        f"{axis}{''.join(bars)}{curve}</svg>\n"
    )


def running_at(report: dict, t: float) -> list[str]:
    """The stages running `t` seconds after the process started."""
    at = t - (report["process_wall_s"] - report["wall_s"])
    return [s["stage"] for s in report["stages"] if s["started_s"] <= at <= s["ended_s"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=10, help="generated lecture length")
    parser.add_argument("--media", type=Path, default=None, help="a media file instead")
    parser.add_argument("--alone", action="store_true", help="also the ASR stage alone")
    parser.add_argument("--bare", action="store_true", help="also bare faster-whisper")
    parser.add_argument("--against", type=Path, help="another run's summary.json (RSS ratio)")
    args = parser.parse_args()
    media = (args.media or long_lecture(args.minutes) / "lecture.mp4").resolve()
    work = MEDIA / "pipeline" / media.parent.name
    load_before = os.getloadavg()
    report = run_spec(media, work / "whole")
    stages = {s["stage"]: s for s in report["stages"]}
    asr = stages[ASR_STAGE]["wall_s"]
    peak_t, peak = max(report["rss_samples"], key=lambda s: s[1], default=(0.0, 0.0))
    summary = {
        "media": str(media),
        "duration_s": report["media"]["duration"],
        "wall_s": report["wall_s"],
        "process_wall_s": round(report["process_wall_s"], 2),
        "cpu_s": round(report["cpu_s"], 1),
        "asr_s": asr,
        "whole_over_asr": round(report["wall_s"] / asr, 3),
        "peak_rss_mb": round(peak, 1),
        "peak_rss_at_s": round(peak_t, 1),
        "peak_rss_stages": running_at(report, peak_t),
        "report_peak_rss_mb": report["peak_rss_mb"],
        "rss_mb_each_s": [round(mb) for t, mb in report["rss_samples"][:: round(1 / SAMPLE_S)]],
        "load_before": load_before,
        "load_after": os.getloadavg(),
    }
    print(f"media: {media} ({report['media']['duration']:.0f} s)")
    print(f"{'stage':14} {'start_s':>8} {'end_s':>8} {'wall_s':>8} {'rss_mb':>8}")
    for s in report["stages"]:
        print(
            f"{s['stage']:14} {s['started_s']:8.1f} {s['ended_s']:8.1f} {s['wall_s']:8.1f} "
            f"{s['peak_rss_mb'] or 0:8.0f}"
        )
    print(f"whole run wall {report['wall_s']:.1f} s (process {report['process_wall_s']:.1f} s)")
    print(f"whole / ASR stage = {summary['whole_over_asr']:.2f} (goal ≤ 1.15)")
    print(
        f"CPU {report['cpu_s']:.0f} s over the process's {report['process_wall_s']:.0f} s: "
        f"{report['cpu_s'] / report['process_wall_s']:.2f} of {os.cpu_count()} cores busy"
    )
    print(
        f"peak RSS of the process tree {peak:.0f} MB at {peak_t:.0f} s "
        f"(running: {', '.join(summary['peak_rss_stages']) or 'no stage'}; "
        "goal ≤ 1000 MB on 60 min)"
    )
    svg = work / "stages.svg"
    gantt_svg(report, svg)
    print(f"stage timeline and RSS: {svg}")
    if args.alone:
        alone = run_spec(media, work / "alone", extractors=[{"use": "faster-whisper"}])
        alone_asr = {s["stage"]: s for s in alone["stages"]}[ASR_STAGE]["wall_s"]
        summary["asr_alone_s"] = alone_asr
        summary["asr_alone_cpu_s"] = round(alone["cpu_s"], 1)
        summary["asr_alone_peak_rss_mb"] = round(max(mb for _, mb in alone["rss_samples"]), 1)
        summary["whole_over_asr_alone"] = round(report["wall_s"] / alone_asr, 3)
        print(
            f"ASR stage alone {alone_asr:.1f} s; in the pipeline ÷ alone = {asr / alone_asr:.2f}; "
            f"whole / ASR alone = {summary['whole_over_asr_alone']:.2f}; CPU of that run "
            f"{alone['cpu_s']:.0f} s (the whole pipeline's {report['cpu_s']:.0f} s), peak RSS "
            f"{summary['asr_alone_peak_rss_mb']:.0f} MB"
        )
    if args.bare:
        bare = subprocess.run(
            [sys.executable, "-c", BARE, str(media)], capture_output=True, text=True, check=True
        )
        load_s, transcribe_s, _words = (float(x) for x in bare.stdout.split())
        print(
            f"bare faster-whisper: load+imports {load_s:.1f} s, decode+transcribe "
            f"{transcribe_s:.1f} s"
        )
        print(f"halo ASR stage / bare transcribe = {asr / transcribe_s:.2f}")
        print(
            f"whole run / bare (load + transcribe) = "
            f"{report['wall_s'] / (load_s + transcribe_s):.2f}"
        )
    if args.against:
        other = json.loads(args.against.read_text())
        summary["peak_rss_over_other"] = round(peak / other["peak_rss_mb"], 3)
        print(
            f"peak RSS ÷ {Path(other['media']).parent.name} ({other['duration_s']:.0f} s, "
            f"{other['peak_rss_mb']:.0f} MB) = {summary['peak_rss_over_other']:.2f} "
            "(goal ≤ 1.2 for 3 h ÷ 10 min)"
        )
    print(f"load average before {load_before[0]:.1f}, after {summary['load_after'][0]:.1f}")
    (work / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(f"figures: {work / 'summary.json'}")


if __name__ == "__main__":
    main()
