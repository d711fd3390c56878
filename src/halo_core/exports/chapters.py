"""Chapters: where a video's parts start and what they are called, for a video description
(YouTube's `00:00 Title` lines) and as WebVTT chapters.

The parts, in order of preference: runs of slides that share a heading (a lecture's deck says
best where its parts are and what they are called), else the summaries' sections, else the
topics track, else the chunks. Each part's title: the heading of the slide shown longest in it,
else the label of the topic covering most of it, else the section's title, else "Part N".
Parts shorter than `MIN_SECONDS` are merged into a neighbour (YouTube ignores chapters shorter
than 10 s), and the first starts at 0:00.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..chunking import longest_shown, slide_heading_in
from ..model import Chunk, Summaries, Timeline
from ..times import clock as chapter_clock
from .captions import clock, vtt_escape

MIN_SECONDS = 10.0


@dataclass(frozen=True)
class Chapter:
    start: float
    end: float
    title: str


def _parts(
    timeline: Timeline, summaries: Summaries | None, chunks: Sequence[Chunk]
) -> list[tuple[float, float, str]]:
    """(start, end, fallback title) of each part, before titling and merging."""
    slides = [s for s in timeline.track("slides") if getattr(s, "heading", "")]
    if slides:
        runs: list[list[Any]] = []
        for slide in slides:
            if runs and runs[-1][-1].heading.casefold() == slide.heading.casefold():
                runs[-1].append(slide)
            else:
                runs.append([slide])
        return [(run[0].start, run[-1].end, "") for run in runs]
    if summaries is not None and summaries.sections:
        return [(s.start, s.end, s.title) for s in summaries.sections]
    topics = timeline.track("topics")
    if topics:
        return [(t.start, t.end, "") for t in topics]
    return [(c.start, c.end, "") for c in chunks]


def chapters(
    timeline: Timeline, summaries: Summaries | None, chunks: Sequence[Chunk], duration: float
) -> list[Chapter]:
    """The video's chapters: titled, at least `MIN_SECONDS` long where the video allows, the
    first at 0 and the last ending at `duration`."""
    parts = _parts(timeline, summaries, chunks)
    if not parts:
        return [Chapter(0.0, duration, "Part 1")]
    # tile [0, duration]: each part runs to the next one's start
    starts = [0.0, *(start for start, _, _ in parts[1:])]
    ends = [*starts[1:], max(duration, parts[-1][1])]
    titled = []
    for number, ((_, _, fallback), start, end) in enumerate(zip(parts, starts, ends), start=1):
        title = (
            slide_heading_in(timeline, start, end)
            or longest_shown(timeline.track("topics"), start, end, "label")
            or fallback
            or f"Part {number}"
        )
        titled.append(Chapter(start, end, title))
    return _merge_short(titled)


def _merge_short(items: list[Chapter]) -> list[Chapter]:
    """Merge each chapter shorter than MIN_SECONDS into a neighbour: the next one when it has
    the same title or the short one is first, else the previous one; the longer of the two
    gives the title. Then neighbours with the same title become one."""
    out = list(items)
    while len(out) > 1:
        short = next((i for i, c in enumerate(out) if c.end - c.start < MIN_SECONDS), None)
        if short is None:
            break
        if short == 0:
            other = 1
        elif short + 1 < len(out) and out[short + 1].title == out[short].title:
            other = short + 1
        else:
            other = short - 1
        a, b = sorted((short, other))
        first, second = out[a], out[b]
        longer = first if first.end - first.start >= second.end - second.start else second
        out[a : b + 1] = [Chapter(first.start, second.end, longer.title)]
    # neighbours left with the same title are one chapter
    merged: list[Chapter] = []
    for chapter in out:
        if merged and merged[-1].title == chapter.title:
            merged[-1] = Chapter(merged[-1].start, chapter.end, chapter.title)
        else:
            merged.append(chapter)
    return merged


def render_youtube(items: Sequence[Chapter]) -> str:
    """One `MM:SS Title` line per chapter (H:MM:SS past an hour), as a video description wants."""
    return "".join(f"{chapter_clock(c.start)} {' '.join(c.title.split())}\n" for c in items)


def render_vtt_chapters(items: Sequence[Chapter]) -> str:
    blocks = ["WEBVTT"]
    for number, c in enumerate(items, start=1):
        blocks.append(
            f"chapter-{number}\n{clock(c.start)} --> {clock(c.end)}\n{vtt_escape(c.title)}"
        )
    return "\n\n".join(blocks) + "\n"
