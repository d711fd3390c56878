"""timeline.svg: one row per signal track, a row of chunks, chunk boundaries and a time axis.

Hand-written SVG (no plotting dependency). Transcript segments are coloured by speaker, scenes
alternate shades with their cuts marked, slides are boxes labelled with their heading, topics and
any other track are labelled boxes; every box carries a `<title>` tooltip with its times and
(whole) text.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape  # not xml.sax.saxutils: it imports urllib.request (50 ms)
from typing import Any

from ..model import Chunk, Timeline
from ..times import clock, span_label

WIDTH = 1200
LABEL_W = 110
ROW_H = 26
ROW_GAP = 8
TOP = 30
AXIS_H = 30
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
TRACK_ORDER = ("transcript", "speakers", "scenes", "slides", "topics")


def _nice_step(duration: float) -> float:
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if duration / step <= 12:
            return float(step)
    return 7200.0


def _label(segment: Any) -> str:
    """What a box says: a slide's heading (else its first line), else the segment's text, label
    or speaker."""
    for attribute in ("heading", "text", "label", "speaker"):
        value = getattr(segment, attribute, None)
        if value:
            return str(value).splitlines()[0]
    return str(segment.kind)


def _colour_key(track: str, segment: Any, position: int) -> str:
    """Speakers get a colour each (in any track); scenes alternate; labelled signals (topics)
    get one per label; anything else one per track."""
    if getattr(segment, "speaker", None):
        return f"speaker:{segment.speaker}"
    if track == "scenes":
        return f"scenes:{position % 2}"
    label = getattr(segment, "label", "")
    return f"{track}:{label}" if label else track


def render_timeline_svg(timeline: Timeline, chunks: Sequence[Chunk], *, title: str = "") -> str:
    duration = max(timeline.duration, chunks[-1].end if chunks else 0.0, 1e-6)
    plot_w = WIDTH - LABEL_W - 10

    def x(seconds: float) -> float:
        return LABEL_W + plot_w * min(max(seconds, 0.0), duration) / duration

    names = [t for t in TRACK_ORDER if timeline.tracks.get(t)]
    names += sorted(t for t in timeline.tracks if t not in TRACK_ORDER and timeline.tracks[t])
    rows = [*names, "chunks"]
    height = TOP + len(rows) * (ROW_H + ROW_GAP) + AXIS_H
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        f'<text x="{LABEL_W}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    colours: dict[str, str] = {}

    def colour(key: str) -> str:
        return colours.setdefault(key, PALETTE[len(colours) % len(PALETTE)])

    def box(x0: float, x1: float, y: float, fill: str, tooltip: str, text: str = "") -> None:
        w = max(x1 - x0, 0.8)
        out.append(
            f'<g><title>{escape(tooltip)}</title><rect x="{x0:.1f}" y="{y:.1f}" '
            f'width="{w:.1f}" height="{ROW_H}" fill="{fill}" fill-opacity="0.75" '
            f'stroke="white" stroke-width="0.5"/>'
        )
        if text and w > 40:
            clipped = text if len(text) * 6 < w else text[: max(int(w / 6) - 1, 1)] + "\u2026"
            out.append(
                f'<text x="{x0 + 3:.1f}" y="{y + ROW_H / 2 + 4:.1f}" fill="white">'
                f"{escape(clipped)}</text>"
            )
        out.append("</g>")

    for row, name in enumerate(rows):
        y = TOP + row * (ROW_H + ROW_GAP)
        out.append(f'<text x="6" y="{y + ROW_H / 2 + 4:.1f}">{escape(name)}</text>')
        if name == "chunks":
            for chunk in chunks:
                reasons = ", ".join(r.kind for r in chunk.closed_by.reasons)
                box(
                    x(chunk.start),
                    x(chunk.end),
                    y,
                    colour(f"chunks:{chunk.index % 2}"),
                    f"{chunk.id} {span_label(chunk.start, chunk.end)} closed by: {reasons}",
                    str(chunk.index),
                )
            continue
        for position, segment in enumerate(timeline.track(name)):
            label = _label(segment)
            box(
                x(segment.start),
                x(segment.end),
                y,
                colour(_colour_key(name, segment, position)),
                f"{span_label(segment.start, segment.end)} {getattr(segment, 'text', '') or label}",
                "" if name in ("transcript", "scenes") else label,
            )
            if name == "scenes" and segment.start > 0:
                out.append(
                    f'<line x1="{x(segment.start):.1f}" y1="{y}" x2="{x(segment.start):.1f}" '
                    f'y2="{y + ROW_H}" stroke="black" stroke-width="1.5"/>'
                )

    axis_y = TOP + len(rows) * (ROW_H + ROW_GAP)
    for chunk in chunks[1:]:
        out.append(
            f'<line x1="{x(chunk.start):.1f}" y1="{TOP - 4}" x2="{x(chunk.start):.1f}" '
            f'y2="{axis_y}" stroke="#333" stroke-dasharray="3,3" stroke-width="0.8">'
            f"<title>{escape(f'boundary at {chunk.start:.1f} s')}</title></line>"
        )
    out.append(
        f'<line x1="{LABEL_W}" y1="{axis_y}" x2="{LABEL_W + plot_w}" y2="{axis_y}" stroke="black"/>'
    )
    step = _nice_step(duration)
    tick = 0.0
    while tick <= duration + 1e-9:
        tx = x(tick)
        out.append(
            f'<line x1="{tx:.1f}" y1="{axis_y}" x2="{tx:.1f}" y2="{axis_y + 5}" stroke="black"/>'
            f'<text x="{tx:.1f}" y="{axis_y + 17}" text-anchor="middle">'
            f"{clock(tick)}</text>"
        )
        tick += step
    out.append(f"<desc>duration {duration:.1f} s, {len(chunks)} chunks</desc>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
