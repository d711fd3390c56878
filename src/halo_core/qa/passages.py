"""Passages: the transcript's sentences with their times and chunk, what Q&A retrieves."""

from __future__ import annotations

from dataclasses import dataclass

from ..run_data import RunData
from ..text import split_sentences


@dataclass(frozen=True)
class Passage:
    id: str
    chunk_id: str
    start: float
    end: float
    text: str


def passages_of(run: RunData) -> list[Passage]:
    """Transcript sentences with their times and chunk; chunks split evenly when there are none."""
    transcript = run.timeline.track("transcript") if run.timeline is not None else []
    passages: list[Passage] = []
    if transcript:
        chunk_index = 0
        for n, segment in enumerate(transcript):
            middle = (segment.start + segment.end) / 2
            while chunk_index < len(run.chunks) - 1 and run.chunks[chunk_index].end <= middle:
                chunk_index += 1
            chunk = run.chunks[chunk_index]
            passages.append(
                Passage(
                    f"p{n:05d}",
                    chunk.id,
                    segment.start,
                    segment.end,
                    " ".join(segment.text.split()),
                )
            )
        return passages
    for chunk in run.chunks:
        sentences = split_sentences(chunk.text) or [chunk.text]
        step = chunk.duration / len(sentences)
        for k, sentence in enumerate(sentences):
            passages.append(
                Passage(
                    f"p{len(passages):05d}",
                    chunk.id,
                    chunk.start + k * step,
                    chunk.start + (k + 1) * step,
                    sentence,
                )
            )
    return passages
