"""Exports: a run's results in the formats people use elsewhere — captions (SRT, WebVTT),
chapters (a video description's `00:00 Title` lines, WebVTT chapters), Markdown notes and one
JSON bundle. `halo export RUN --format F` writes one; a spec's `tasks.export: [F, …]` writes
them into the run folder (as `FILES[F]`).

Each format is a function of the run's results in memory (`ExportInput`), returning the text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import get_args

from ..model import Answer, Chunk, Media, Summaries, Timeline
from ..outputs.notes import render_notes
from ..spec_model import ExportFormat
from .captions import cues, render_srt, render_vtt
from .chapters import Chapter, chapters, render_vtt_chapters, render_youtube

FORMATS: tuple[str, ...] = get_args(ExportFormat)

# the file each format is written to in a run folder
FILES: dict[str, str] = {
    "srt": "captions.srt",
    "vtt": "captions.vtt",
    "chapters": "chapters.txt",
    "vtt-chapters": "chapters.vtt",
    "md": "notes.md",
    "json": "export.json",
}


@dataclass(frozen=True)
class ExportInput:
    """What every export reads: one run's results."""

    title: str
    media: Media
    timeline: Timeline
    chunks: Sequence[Chunk]
    summaries: Summaries | None = None
    answers: Sequence[Answer] = field(default_factory=tuple)
    notices: Sequence[str] = field(default_factory=tuple)
    """what the run left out (skipped extractors): the Markdown notes say it under the title"""


def _chapters(run: ExportInput) -> list[Chapter]:
    return chapters(run.timeline, run.summaries, run.chunks, run.media.duration)


def _markdown(run: ExportInput) -> str:
    summaries = run.summaries or Summaries(media=run.media.path.name)
    return render_notes(run.title, run.media, summaries, run.chunks, run.answers, run.notices)


def _bundle(run: ExportInput) -> str:
    """Everything in one JSON document: chapters, caption cues, sections, slides."""
    data = {
        "title": run.title,
        "media": run.media.path.name,
        "duration": run.media.duration,
        "chapters": [{"start": c.start, "end": c.end, "title": c.title} for c in _chapters(run)],
        "captions": [
            {"start": c.start, "end": c.end, "speaker": c.speaker, "text": c.text}
            for c in cues(run.timeline)
        ],
        "sections": [
            s.model_dump(mode="json") for s in (run.summaries.sections if run.summaries else [])
        ],
        "slides": [
            {"start": s.start, "end": s.end, "heading": s.heading, "text": s.text}
            for s in run.timeline.track("slides")
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


RENDERERS: dict[str, Callable[[ExportInput], str]] = {
    "srt": lambda run: render_srt(cues(run.timeline)),
    "vtt": lambda run: render_vtt(cues(run.timeline)),
    "chapters": lambda run: render_youtube(_chapters(run)),
    "vtt-chapters": lambda run: render_vtt_chapters(_chapters(run)),
    "md": _markdown,
    "json": _bundle,
}


def render_export(fmt: str, run: ExportInput) -> str:
    """The text of export `fmt` (one of FORMATS) for `run`."""
    if fmt not in RENDERERS:
        raise ValueError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
    return RENDERERS[fmt](run)


__all__ = ["FILES", "FORMATS", "ExportFormat", "ExportInput", "render_export"]
