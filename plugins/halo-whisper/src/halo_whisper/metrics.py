"""Scoring transcripts and diarizations against references: word and diarization error rates.

Used by this plugin's tests and by benchmarks/bench_whisper.py and bench_diarization.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from halo_core import number_words


def normalize(text: str) -> list[str]:
    """Lower-case words without punctuation, hyphens split, numbers spelled out."""
    text = text.lower().replace("-", " ")
    text = re.sub(
        r"\d+",
        lambda m: f" {number_words(int(m.group()))} " if len(m.group()) < 7 else m.group(),
        text,
    )
    return re.findall(r"[a-z0-9']+", text)


def edit_distance(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, 1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp_word in enumerate(hypothesis, 1):
            current[j] = min(
                previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word)
            )
        previous = current
    return previous[-1]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, after `normalize`."""
    ref, hyp = normalize(reference), normalize(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(ref, hyp) / len(ref)


Turn = tuple[float, float, str]
"""(start, end, speaker) in seconds."""


def read_rttm(path: Path) -> list[Turn]:
    """The speaker turns of an RTTM file (`SPEAKER uri 1 start duration . . speaker . .`)."""
    turns = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "SPEAKER":
            turns.append((float(fields[3]), float(fields[3]) + float(fields[4]), fields[7]))
    return turns


def diarization_error_rate(
    reference: Sequence[Turn], hypothesis: Sequence[Turn], step: float = 0.01, collar: float = 0.0
) -> float:
    """Frame-level DER: (missed + false alarm + confusion) / reference speech time.

    Speakers are matched one-to-one to maximise agreement (Hungarian), as pyannote.metrics does.
    Overlapping speech counts each speaker. `collar` seconds around every reference boundary are
    not scored (0 = the strict figure).
    """
    errors, correct, total = _scored(reference, hypothesis, step, collar)
    if total == 0:
        return 0.0 if errors == 0 else 1.0
    return errors / total


def speaker_time_accuracy(
    reference: Sequence[Turn], hypothesis: Sequence[Turn], step: float = 0.01
) -> float:
    """Share of reference speech time (each speaker of overlapped speech counting) that the
    hypothesis gives to the matched speaker; 1.0 when the reference has no speech."""
    _, correct, total = _scored(reference, hypothesis, step, 0.0)
    return correct / total if total else 1.0


def _scored(
    reference: Sequence[Turn], hypothesis: Sequence[Turn], step: float, collar: float
) -> tuple[float, float, float]:
    """(errors, correctly attributed, reference speech) in frames, under the best one-to-one
    speaker matching."""
    from scipy.optimize import linear_sum_assignment

    end = max([t[1] for t in [*reference, *hypothesis]], default=0.0)
    frames = int(np.ceil(end / step)) + 1
    ref_names = sorted({t[2] for t in reference})
    hyp_names = sorted({t[2] for t in hypothesis})
    ref = _activity(reference, ref_names, frames, step)
    hyp = _activity(hypothesis, hyp_names, frames, step)
    scored = np.ones(frames, bool)
    if collar > 0:
        for start, stop, _ in reference:
            for edge in (start, stop):
                scored[
                    max(0, int((edge - collar) / step)) : int(np.ceil((edge + collar) / step))
                ] = False
    ref, hyp = ref[:, scored], hyp[:, scored]
    # frames where ref i and hyp j both speak
    overlap = ref.astype(np.int64) @ hyp.T.astype(np.int64)
    rows, cols = linear_sum_assignment(-overlap) if overlap.size else ([], [])
    correct = float(overlap[rows, cols].sum()) if len(rows) else 0.0
    ref_count, hyp_count = ref.sum(axis=0), hyp.sum(axis=0)
    # per frame: errors = max(ref, hyp) - matched correct (the NIST definition)
    errors = float(np.maximum(ref_count, hyp_count).sum()) - correct
    return errors, correct, float(ref.sum())


def _activity(turns: Sequence[Turn], names: list[str], frames: int, step: float) -> np.ndarray:
    active = np.zeros((len(names), frames), bool)
    for start, end, speaker in turns:
        active[names.index(speaker), int(round(start / step)) : int(round(end / step))] = True
    return active
