"""halo-whisper `faster-whisper` benchmark: WER, real-time factor, framework overhead, peak RSS.

    .venv/bin/python benchmarks/bench_whisper.py [--repeats 2] [--rss-minutes 60] [--rss-beam 1]

Figures, all measured in this one run with the bundled tiny.en model (int8, CPU):
- WER of the offline default (beam 5, VAD) against truth.json sentences, per lecture;
- real-time factor (media seconds per wall second) of HALO's stage;
- overhead: HALO's stage vs bare faster-whisper (`decode_audio` + `WhisperModel.transcribe`) on the
  same audio with the same settings and the same loaded model, runs interleaved, best of
  --repeats; wall-time and CPU-time ratios (CPU time is what to trust on a shared machine);
- peak RSS (VmHWM) of a fresh process transcribing the 10-minute lecture and a generated
  --rss-minutes lecture through HALO's stage (streamed: equal peaks mean flat memory), next to
  one that only decodes the long file whole, as bare faster-whisper does. The long lecture is
  generated into benchmarks/media/ when missing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from lectures import ROOT, SHARED, long_lecture

SHARED_MEDIA = SHARED / "media"
LECTURES = [
    ROOT / "samples/lecture", SHARED_MEDIA / "lecture-dev-2min", SHARED_MEDIA / "lecture-dev-10min"
]
SETTINGS = {"beam_size": 5, "vad": True}


def transcribe_with_halo(path: Path, options: dict) -> tuple[list, float, float]:
    from halo_whisper.faster import FasterWhisper

    from halo_core import RunContext, Timeline
    from halo_core.media import probe

    media = probe(path)
    wall, cpu = time.perf_counter(), time.process_time()
    segments = FasterWhisper.from_options(options).extract(
        media, Timeline(duration=media.duration), RunContext()
    )
    return segments, time.perf_counter() - wall, time.process_time() - cpu


def transcribe_bare(path: Path, options: dict) -> tuple[str, float, float]:
    from faster_whisper import decode_audio
    from halo_whisper.faster import load_model

    model = load_model("bundled", "cpu", "int8", 0)  # the very model object HALO's stage uses
    wall, cpu = time.perf_counter(), time.process_time()
    pieces, _ = model.transcribe(
        decode_audio(str(path)),
        beam_size=options["beam_size"],
        vad_filter=options["vad"],
        word_timestamps=True,
    )
    text = " ".join(p.text.strip() for p in pieces)
    return text, time.perf_counter() - wall, time.process_time() - cpu


def accuracy_and_overhead(repeats: int) -> None:
    from halo_whisper.metrics import word_error_rate

    print(f"settings: bundled tiny.en, int8 CPU, {SETTINGS}")
    print(
        f"{'lecture':22} {'media_s':>8} {'WER':>6} {'RTF':>6} "
        f"{'halo/bare wall':>15} {'halo/bare cpu':>14}"
    )
    for folder in LECTURES:
        path = folder / "lecture.mp4"
        truth = json.loads((folder / "truth.json").read_text())
        reference = " ".join(s["text"] for s in truth["sentences"])
        halo_runs, bare_runs = [], []
        for _ in range(repeats):
            bare_runs.append(transcribe_bare(path, SETTINGS))
            halo_runs.append(transcribe_with_halo(path, SETTINGS))
        segments = halo_runs[0][0]
        wer = word_error_rate(reference, " ".join(s.text for s in segments))
        halo_wall, halo_cpu = min(r[1] for r in halo_runs), min(r[2] for r in halo_runs)
        bare_wall, bare_cpu = min(r[1] for r in bare_runs), min(r[2] for r in bare_runs)
        duration = truth["duration_s"]
        print(
            f"{folder.name:22} {duration:8.1f} {wer:6.3f} {duration / halo_wall:6.1f} "
            f"{halo_wall / bare_wall:15.3f} {halo_cpu / bare_cpu:14.3f}",
            flush=True,
        )


PEAK_RSS_MB = (
    "float(next(line for line in open('/proc/self/status') if line.startswith('VmHWM')).split()[1])"
    " / 1024"
)
"""Peak RSS of the calling process. Not getrusage's ru_maxrss: that survives fork and exec, so a
child of a big parent would report the parent's peak."""


def run_child(code: str) -> tuple[float, dict]:
    """Run `code` in a fresh interpreter; return (wall s, the JSON object it prints)."""
    start = time.perf_counter()
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return time.perf_counter() - start, json.loads(child.stdout)


def halo_peak_rss(path: Path, beam: int) -> None:
    code = (
        "import json\n"
        "from halo_core import RunContext, Timeline\nfrom halo_core.media import probe\n"
        "from halo_whisper.faster import FasterWhisper\n"
        f"media = probe({str(path)!r})\n"
        f"segments = FasterWhisper.from_options({{'beam_size': {beam}}}).extract("
        "media, Timeline(duration=media.duration), RunContext())\n"
        "print(json.dumps({'segments': len(segments), 'duration': media.duration,"
        f" 'rss_mb': {PEAK_RSS_MB}}}))\n"
    )
    wall, out = run_child(code)
    print(
        f"{path.parent.name:22} {out['duration']:6.0f} s  HALO faster-whisper stage, beam {beam}: "
        f"peak RSS {out['rss_mb']:4.0f} MB ({out['segments']} segments, "
        f"wall {wall:.0f} s with start-up)",
        flush=True,
    )


def memory(minutes: int, beam: int) -> None:
    """Peak RSS on a 10-minute and a long lecture (flat means equal), and the whole-file decode."""
    path = long_lecture(minutes) / "lecture.mp4"
    for lecture in (SHARED_MEDIA / "lecture-dev-10min" / "lecture.mp4", path):
        halo_peak_rss(lecture, beam)
    _, decoded = run_child(
        "import json\nfrom faster_whisper import decode_audio\n"
        f"audio = decode_audio({str(path)!r})\n"
        f"print(json.dumps({{'rss_mb': {PEAK_RSS_MB}}}))\n"
    )
    print(
        f"{path.parent.name:22} decoded whole by faster_whisper.decode_audio "
        f"(bare faster-whisper's first step): peak RSS {decoded['rss_mb']:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--rss-minutes", type=int, default=60, help="0 skips the memory figure")
    parser.add_argument("--rss-beam", type=int, default=1)
    parser.add_argument("--skip-accuracy", action="store_true")
    args = parser.parse_args()
    if not args.skip_accuracy:
        accuracy_and_overhead(args.repeats)
    if args.rss_minutes:
        memory(args.rss_minutes, args.rss_beam)


if __name__ == "__main__":
    main()
