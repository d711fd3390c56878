"""Passages: what Q&A retrieves — the transcript's sentences, and the lines read on the slides,
each with its times and chunk.

Each line of a slide is a passage, found by its heading and the line ("Gutenberg and the
Printing Press: Mainz, around 1450.") and shown in a context as the whole slide, quoted ("Slide:
Gutenberg and the Printing Press: Gutenberg's system; Mainz, around 1450; Oil-based ink."), timed
by the slide's time on screen. The words on slides are spelled right where speech recognition
mishears them; a short line matches a question best, and the whole slide keeps the line with its
subject (a line alone, "Mainz, around 1450", says nothing about what it answers).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from ..run_data import RunData
from ..text import SLIDE_QUOTE, split_sentences


@dataclass(frozen=True)
class Passage:
    id: str
    chunk_id: str
    start: float
    end: float
    text: str
    slide: str = ""
    """the heading of the slide this line was read from ("" for speech)"""
    shown: str = ""
    """what a context shows for it, when not `text` (a slide line: the whole slide)"""
    speaker: str | None = None

    @property
    def context_text(self) -> str:
        return self.shown or self.text


def passages_of(run: RunData) -> list[Passage]:
    """Transcript sentences (chunks split evenly when there is neither speech nor slides), then
    slide lines."""
    spoken = _spoken(run)
    return spoken + _slide_lines(run, len(spoken))


def _chunk_at(run: RunData, time: float) -> str:
    index = bisect.bisect_right([c.start for c in run.chunks], time) - 1
    return run.chunks[max(0, index)].id


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else text + "."


def _slide_lines(run: RunData, first: int) -> list[Passage]:
    """One passage per line of each slide ("heading: line."), shown as the whole slide
    ("heading: line; line; line.")."""
    if run.timeline is None or not run.chunks:
        return []
    passages: list[Passage] = []
    for slide in run.timeline.track("slides"):
        heading = " ".join(str(getattr(slide, "heading", "")).split())
        lines = [" ".join(line.split()) for line in str(slide.text).splitlines() if line.strip()]
        body = [line.rstrip(".;") for line in lines if line != heading] or lines
        quoted = f"{heading}: {'; '.join(body)}" if heading else "; ".join(body)
        whole = _sentence(SLIDE_QUOTE + quoted)
        chunk_id = _chunk_at(run, (slide.start + slide.end) / 2)
        for line in body:
            text = _sentence(f"{heading}: {line}" if heading and line != heading else line)
            passages.append(
                Passage(
                    f"p{first + len(passages):05d}",
                    chunk_id,
                    slide.start,
                    slide.end,
                    text,
                    heading or lines[0],
                    whole,
                )
            )
    return passages


def _spoken(run: RunData) -> list[Passage]:
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
                    segment.speaker,
                )
            )
        return passages
    if run.timeline is not None and run.timeline.track("slides"):
        return []  # no speech: the chunks hold the slides' text, whose lines are the passages
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
