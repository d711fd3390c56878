"""halo-whisper `voice-clusters` benchmark: diarization error rate (DER) against references.

    .venv/bin/python benchmarks/bench_diarization.py [--only NAME]

References: the speech of each truth.json sentence (with its speaker) for the generated lectures;
sample.rttm for the real 30 s two-speaker telephone recording that ships in the pyannote.audio
wheel (plugins/halo-whisper/tests/fixtures/sample.flac); the human RTTM of the two real AMI
meeting clips in ../shared/media/real-meetings. DER is frame-level (10 ms), speakers matched
one-to-one, overlapping speech counting each speaker; shown strict and with a 0.25 s collar around
reference boundaries. "acc" is the share of reference speech time given the right (matched)
speaker. Each case runs twice: the speaker count estimated, then given. The last column is the
diarization's wall time as a fraction of HALO's `faster-whisper` stage (bundled tiny.en, defaults)
on the same file: the figure for running diarization beside ASR.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from lectures import ROOT
from lectures import SHARED as SHARED_ROOT

SHARED = SHARED_ROOT / "media"
FIXTURES = ROOT / "plugins/halo-whisper/tests/fixtures"


def references() -> list[tuple[str, Path, list[tuple[float, float, str]]]]:
    from halo_whisper.metrics import read_rttm as rttm

    cases = []
    for folder in [
        ROOT / "samples/lecture",
        SHARED / "lecture-dev-2min",
        SHARED / "lecture-dev-10min",
    ]:
        truth = json.loads((folder / "truth.json").read_text())
        turns = [(s["start"], s["end"], s["speaker"]) for s in truth["sentences"]]
        cases.append((folder.name, folder / "lecture.mp4", turns))
    cases.append(("pyannote sample.wav", FIXTURES / "sample.flac", rttm(FIXTURES / "sample.rttm")))
    for clip in ("dev00", "dev01"):
        folder = SHARED / "real-meetings"
        cases.append((f"AMI {clip}", folder / f"{clip}.wav", rttm(folder / f"{clip}.rttm")))
    return cases


def main() -> None:
    from halo_whisper.faster import FasterWhisper
    from halo_whisper.metrics import diarization_error_rate, speaker_time_accuracy
    from halo_whisper.voice_clusters import VoiceClusters

    from halo_core import RunContext, Timeline
    from halo_core.media import probe

    parser = argparse.ArgumentParser()
    parser.add_argument("--only", help="run only the cases whose name contains this")
    only = parser.parse_args().only
    print(
        f"{'media':20} {'count':7} {'speakers':>9} {'DER':>6} {'DER c.25':>9} {'acc':>6} "
        f"{'diarize s':>10} {'/ ASR':>6}"
    )
    for name, path, reference in references():
        if only and only not in name:
            continue
        media = probe(path)
        start = time.perf_counter()
        transcript = FasterWhisper().extract(media, Timeline(duration=media.duration), RunContext())
        asr_s = time.perf_counter() - start
        timeline = Timeline(duration=media.duration).with_track("transcript", transcript)
        truth = len({r[2] for r in reference})
        for options in [{}, {"num_speakers": truth}]:
            start = time.perf_counter()
            turns = VoiceClusters.from_options(options).extract(media, timeline, RunContext())
            elapsed = time.perf_counter() - start
            hypothesis = [(t.start, t.end, t.speaker) for t in turns]
            found = len({t.speaker for t in turns})
            print(
                f"{name:20} {'given' if options else 'estim.':7} {found:>4} of {truth:<2} "
                f"{diarization_error_rate(reference, hypothesis):6.3f} "
                f"{diarization_error_rate(reference, hypothesis, collar=0.25):9.3f} "
                f"{speaker_time_accuracy(reference, hypothesis):6.3f} "
                f"{elapsed:10.1f} {elapsed / asr_s:6.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
