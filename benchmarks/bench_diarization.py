"""halo-whisper `voice-clusters` benchmark: diarization error rate (DER) against references.

    .venv/bin/python benchmarks/bench_diarization.py

References: the speech of each truth.json sentence (with its speaker) for the generated lectures,
and sample.rttm for the real 30 s two-speaker recording that ships in the pyannote.audio wheel
(plugins/halo-whisper/tests/fixtures/sample.flac). The transcript each diarization reads comes
from HALO's `faster-whisper` stage (bundled tiny.en, defaults). DER is frame-level (10 ms),
speakers matched one-to-one; shown strict and with a 0.25 s collar around reference boundaries.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

from lectures import ROOT
from lectures import SHARED as SHARED_ROOT

SHARED = SHARED_ROOT / "media"
FIXTURES = ROOT / "plugins/halo-whisper/tests/fixtures"
METHODS = [{}, {"method": "spectral"}]


def references() -> list[tuple[str, Path, list[tuple[float, float, str]]]]:
    cases = []
    for folder in [
        ROOT / "samples/lecture",
        SHARED / "lecture-dev-2min",
        SHARED / "lecture-dev-10min",
    ]:
        truth = json.loads((folder / "truth.json").read_text())
        turns = [(s["start"], s["end"], s["speaker"]) for s in truth["sentences"]]
        cases.append((folder.name, folder / "lecture.mp4", turns))
    rttm = []
    for line in (FIXTURES / "sample.rttm").read_text().splitlines():
        fields = line.split()
        rttm.append((float(fields[3]), float(fields[3]) + float(fields[4]), fields[7]))
    cases.append(("pyannote sample.wav", FIXTURES / "sample.flac", rttm))
    return cases


def main() -> None:
    from halo_whisper.faster import FasterWhisper
    from halo_whisper.metrics import diarization_error_rate
    from halo_whisper.voice_clusters import VoiceClusters

    from halo_core import RunContext, Timeline
    from halo_core.media import probe

    warnings.filterwarnings(
        "ignore", category=UserWarning
    )  # sklearn: "graph is not fully connected"
    print(
        f"{'media':22} {'method':14} {'speakers':>9} {'DER':>6} {'DER c.25':>9} {'diarize s':>10}"
    )
    for name, path, reference in references():
        media = probe(path)
        transcript = FasterWhisper().extract(media, Timeline(duration=media.duration), RunContext())
        timeline = Timeline(duration=media.duration).with_track("transcript", transcript)
        truth = len({r[2] for r in reference})
        for options in [*METHODS, *({**m, "num_speakers": truth} for m in METHODS)]:
            start = time.perf_counter()
            turns = VoiceClusters.from_options(options).extract(media, timeline, RunContext())
            elapsed = time.perf_counter() - start
            hypothesis = [(t.start, t.end, t.speaker) for t in turns]
            found = len({t.speaker for t in turns})
            print(
                f"{name:22} {_method(options):14} {found:>4} of {truth:<2} "
                f"{diarization_error_rate(reference, hypothesis):6.3f} "
                f"{diarization_error_rate(reference, hypothesis, collar=0.25):9.3f} "
                f"{elapsed:10.1f}",
                flush=True,
            )


def _method(options: dict) -> str:
    given = ", n given" if "num_speakers" in options else ""
    return options.get("method", "agglomerative")[:5] + given


if __name__ == "__main__":
    main()
