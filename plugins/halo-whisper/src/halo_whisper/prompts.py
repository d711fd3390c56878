"""Prompting the recognizer with the slide on screen: a window of audio is split where the
slides change, and each piece is transcribed with its slide's text as whisper's initial prompt.

Why: the words on a slide are the lecture's rarest and best spelled ("Okazaki fragments",
"Mainz"); a prompt holding them makes the decoder likelier to write them than a sound-alike.
Whisper reads only the last ~224 prompt tokens, and a prompt applies to the start of what it
decodes, so each piece gets only its own slide's text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .audio import SAMPLE_RATE, AudioWindow, quiet_cut

MIN_PIECE_S = 4.0  # a slide shown for less than this is not worth a piece of its own
SNAP_S = 1.0  # a cut moves to the quietest moment within this of the slide change
MAX_PROMPT_CHARS = 600  # about 150 tokens: inside whisper's prompt budget


@dataclass(frozen=True)
class Piece:
    offset: float
    samples: np.ndarray
    prompt: str | None


def slide_prompt(text: str) -> str | None:
    """A slide's lines as prompt text: one sentence per line, bounded in length."""
    lines = [line.strip().rstrip(".:;,") for line in text.splitlines() if line.strip()]
    prompt = ". ".join(lines)
    return (prompt[:MAX_PROMPT_CHARS] + ".") if prompt else None


def _shown_longest(slides: Sequence[Any], start: float, end: float) -> Any | None:
    best, best_overlap = None, 0.0
    for slide in slides:
        overlap = min(slide.end, end) - max(slide.start, start)
        if overlap > best_overlap:
            best, best_overlap = slide, overlap
    return best


def pieces(window: AudioWindow, slides: Sequence[Any]) -> Iterator[Piece]:
    """`window` split at the slide changes inside it (each cut moved to a quiet moment nearby),
    each piece with the prompt of the slide shown longest in it (None without slides)."""
    start, end = window.offset, window.offset + len(window.samples) / SAMPLE_RATE
    cuts = [0]
    for slide in slides:
        at = slide.start - start
        if MIN_PIECE_S <= at <= end - start - MIN_PIECE_S:
            lo = int((at - SNAP_S) * SAMPLE_RATE)
            hi = int((at + SNAP_S) * SAMPLE_RATE)
            cut = lo + quiet_cut(window.samples[lo:hi], 0)
            if cut - cuts[-1] >= MIN_PIECE_S * SAMPLE_RATE:
                cuts.append(cut)
    cuts.append(len(window.samples))
    for a, b in zip(cuts, cuts[1:]):
        piece_start, piece_end = start + a / SAMPLE_RATE, start + b / SAMPLE_RATE
        slide = _shown_longest(slides, piece_start, piece_end)
        prompt = slide_prompt(slide.text) if slide is not None else None
        yield Piece(piece_start, window.samples[a:b], prompt)
