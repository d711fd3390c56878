"""Putting speaker labels onto transcript segments and words, by time overlap with speaker turns.

The runner applies it whenever a timeline has both a transcript and a speakers track: the two come
from different extractors (ASR, diarization), and neither may rewrite the other's track."""

from __future__ import annotations

from collections.abc import Sequence

from .model import SpeakerTurn, TranscriptSegment, Word


def speaker_at(start: float, end: float, turns: Sequence[SpeakerTurn]) -> str | None:
    """The speaker whose turns overlap [start, end] most; the nearest turn's when none overlaps."""
    if not turns:
        return None
    overlap: dict[str, float] = {}
    for turn in turns:
        shared = min(end, turn.end) - max(start, turn.start)
        if shared > 0:
            overlap[turn.speaker] = overlap.get(turn.speaker, 0.0) + shared
    if overlap:
        return max(overlap, key=lambda speaker: overlap[speaker])
    middle = (start + end) / 2
    return min(turns, key=lambda t: max(t.start - middle, middle - t.end)).speaker


def label_transcript(
    segments: Sequence[TranscriptSegment], turns: Sequence[SpeakerTurn]
) -> list[TranscriptSegment]:
    """Copies of `segments` whose words carry the overlapping speaker and whose own `speaker` is
    the one who says most of its words (by duration); segments without words use their span."""
    labelled = []
    for segment in segments:
        words = [
            w.model_copy(update={"speaker": speaker_at(w.start, w.end, turns)})
            for w in segment.words
        ]
        labelled.append(
            segment.model_copy(update={"words": words, "speaker": _majority(segment, words, turns)})
        )
    return labelled


def _majority(
    segment: TranscriptSegment, words: list[Word], turns: Sequence[SpeakerTurn]
) -> str | None:
    if not words:
        return speaker_at(segment.start, segment.end, turns)
    spoken: dict[str, float] = {}
    for word in words:
        if word.speaker is not None:
            spoken[word.speaker] = spoken.get(word.speaker, 0.0) + max(word.duration, 1e-3)
    return max(spoken, key=lambda speaker: spoken[speaker]) if spoken else None
