"""What the two diarizers (`voice-clusters`, `pyannote`) share: one contract, one speaker naming."""

from __future__ import annotations

from collections.abc import Sequence

from halo_core import SpeakerTurn, TranscriptSegment, Word

DIARIZATION_REQUIRES: tuple[str, ...] = ("transcript",)
"""Both diarizers read the transcript (see voice_clusters.py for why), so both run after ASR."""


def speaker_name(index: int) -> str:
    return f"SPEAKER_{index:02d}"


def speech_words(transcript: Sequence[TranscriptSegment]) -> list[Word]:
    """The transcript's words in time order; a segment without word timings counts as one word."""
    words = [
        w for s in transcript for w in (s.words or [Word(start=s.start, end=s.end, text=s.text)])
    ]
    return sorted((w for w in words if w.end > w.start), key=lambda w: w.start)


def turns_from_labels(
    words: Sequence[Word], labels: Sequence[int], max_gap: float
) -> list[SpeakerTurn]:
    """Runs of consecutive words with one label, as turns; speakers renamed by first appearance."""
    names: dict[int, str] = {}
    turns: list[SpeakerTurn] = []
    for word, label in zip(words, labels):
        speaker = names.setdefault(label, speaker_name(len(names)))
        last = turns[-1] if turns else None
        if last is not None and last.speaker == speaker and word.start - last.end <= max_gap:
            turns[-1] = last.model_copy(update={"end": max(last.end, word.end)})
        else:
            turns.append(SpeakerTurn(start=word.start, end=word.end, speaker=speaker))
    return turns
