"""From the lines OCR read on a frame to a slide's lines: the heading told apart from the body,
and what is not the slide's content left out (page numbers, footers, logos, the presenter inset).

Rules, each general to slide decks rather than tuned to one template:
- a line inside a region that moves (the presenter's webcam inset) is not slide text;
- a line that is only a number (or "3 / 12", "Page 3") is a page number;
- text in the top or bottom `MARGIN` of the frame that is not heading-sized is a footer, a
  running title or a logo's lettering (sizes: see `RawLine.size`);
- text in those margins that repeats on at least half of a deck's slides is chrome too, whatever
  its size (see `drop_repeated_margin_text`);
- the heading is the topmost line in the top half that is clearly larger (`HEADING` x) than the
  typical line, with the lines of the same size (within `SAME_SIZE`) right under it (a title on
  two lines).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from difflib import SequenceMatcher

from halo_core import SlideLine, SlideText

from .ocr import RawLine

Rect = tuple[float, float, float, float]

MARGIN = 0.1
HEADING = 1.3
SAME_SIZE = 0.1
MIN_REPEATS = 4  # slides a deck needs before repetition says anything

_PAGE_NUMBER = re.compile(r"^\W*(?:page|slide|p\.?)?\s*\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?\W*$", re.I)
_BULLET = re.compile(r"^[\s•●○◦·▪▫■□‣⁃∙*>»–—-]+(?=\w)")


def clean(text: str) -> str:
    """The line without its leading bullet glyph and with single spaces."""
    return " ".join(_BULLET.sub("", text).split())


def is_page_number(text: str) -> bool:
    return bool(_PAGE_NUMBER.match(text))


def _centre_inside(box: Rect, rects: Sequence[Rect]) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return any(r[0] <= cx <= r[2] and r[1] <= cy <= r[3] for r in rects)


def _in_margin(box: Rect, height: float) -> bool:
    centre = (box[1] + box[3]) / 2
    return centre < MARGIN * height or centre > (1 - MARGIN) * height


def slide_lines(
    raw: Sequence[RawLine],
    width: float,
    height: float,
    masked: Sequence[Rect] = (),
    min_confidence: float = 0.5,
) -> list[SlideLine]:
    """The slide's content lines (heading first, then reading order) from one frame's OCR lines.

    `masked` are regions (pixels of the same frame) that move: nothing inside them is kept.
    Boxes come out as fractions of `width` and `height`.
    """
    kept = [
        line
        for line in raw
        if line.confidence >= min_confidence
        and not _centre_inside(line.box, masked)
        and clean(line.text)
        and not is_page_number(line.text)
    ]
    if not kept:
        return []
    # the lower median: with as many heading as body lines, the body is the smaller text
    typical = statistics.median_low(line.size for line in kept)
    kept = [
        line
        for line in kept
        if not (line.size < HEADING * typical and _in_margin(line.box, height))
    ]
    heading = _heading(kept, typical, height)
    ordered = [*heading, *(line for line in kept if line not in heading)]
    return [
        SlideLine(
            text=clean(line.text),
            box=(
                line.box[0] / width,
                line.box[1] / height,
                line.box[2] / width,
                line.box[3] / height,
            ),
            confidence=min(1.0, max(0.0, line.confidence)),
            role="heading" if line in heading else "body",
        )
        for line in ordered
    ]


def _heading(lines: list[RawLine], typical: float, height: float) -> list[RawLine]:
    large = [line for line in lines if line.size >= HEADING * typical and line.box[1] < height / 2]
    if not large:
        return []
    first = min(large, key=lambda line: line.box[1])
    heading = [first]
    for line in sorted(lines, key=lambda line: line.box[1]):
        last = heading[-1]
        if line.box[1] <= last.box[1] or line in heading:
            continue
        same_size = abs(line.size - first.size) <= SAME_SIZE * first.size
        # a title's second line sits close under the first; a subtitle stands apart
        close_below = line.box[1] - last.box[3] < 0.5 * (last.box[3] - last.box[1])
        if not (same_size and close_below):
            break
        heading.append(line)
    return heading


def slide_text(
    start: float, end: float, frame_time: float | None, lines: list[SlideLine]
) -> SlideText:
    heading = " ".join(line.text for line in lines if line.role == "heading")
    return SlideText(
        start=start,
        end=end,
        text="\n".join(line.text for line in lines),
        heading=heading,
        lines=lines,
        frame_time=frame_time,
    )


def same_reading(a: str, b: str, similarity: float = 0.9) -> bool:
    """Whether two readings are of the same slide: the OCR engine reads the same picture a
    little differently from frame to frame (a space dropped, a letter misread)."""
    a, b = "".join(a.casefold().split()), "".join(b.casefold().split())
    return a == b or SequenceMatcher(None, a, b, autojunk=False).ratio() >= similarity


def _margin_key(line: SlideLine) -> str | None:
    centre = (line.box[1] + line.box[3]) / 2
    if MARGIN <= centre <= 1 - MARGIN:
        return None
    return line.text.casefold()


def drop_repeated_margin_text(slides: Sequence[SlideText]) -> list[SlideText]:
    """The slides without the margin lines that recur on at least half of them (a logo, a
    running footer), once there are `MIN_REPEATS` slides to judge by. Slides left without
    text are dropped."""
    if len(slides) < MIN_REPEATS:
        return list(slides)
    counts = Counter(
        key for slide in slides for key in {_margin_key(line) for line in slide.lines} if key
    )
    chrome = {key for key, n in counts.items() if n >= len(slides) / 2}
    out = []
    for slide in slides:
        lines = [line for line in slide.lines if _margin_key(line) not in chrome]
        if lines:
            out.append(slide_text(slide.start, slide.end, slide.frame_time, lines))
    return out
