"""The title people read at the top of the notes, from what the video itself says it is.

(Sections take the heading of the slide shown longest in them, `chunking.slide_heading_in`, used by
the summarizer; without slides, the title their summary gives them: for the offline backend, the
one topic label they span, else a noun phrase, `halo_core.labels`.)
"""

from __future__ import annotations

from .chunking import SLIDES
from .model import Media, Timeline


def video_title(media: Media, timeline: Timeline) -> str:
    """The title card's (the first slide's) heading, else the container's title tag, else the
    file name made readable ("ocean_tides" -> "Ocean tides")."""
    first = next(iter(timeline.track(SLIDES)), None)
    shown = ""
    if first is not None:
        lines = [line.strip() for line in first.text.splitlines() if line.strip()]
        shown = " ".join(first.heading.split()) or (lines[0] if lines else "")
    name = " ".join(media.path.stem.replace("_", " ").split())
    return shown or (media.title or "").strip() or name[:1].upper() + name[1:]
