"""What a video looks like (slides or camera footage), and where footage has hard cuts.

Measured per frame on a 32x18 luma thumbnail of the frame the detector already decoded (no
second decode), against the previous frame, over the blocks that are not black in both (so
letterbox and pillarbox bars count for nothing):

- `moving`: share of 2x2 blocks whose plain change exceeds MOVING_LEVEL. A lecture's slides
  stand still, and its presenter inset is a small region; camera footage moves almost
  everywhere, in most frames.
- `change`: the motion-compensated change: each block is matched against the previous frame
  shifted by up to ±SEARCH pixels (±6 % of the width), and the best match's mean absolute
  difference is kept. Motion that a small shift explains (pans, walking, dancing) scores low; a
  new shot scores high everywhere.
- `spread`: share of blocks whose motion-compensated change exceeds SPREAD_LEVEL. A text overlay
  or an object crossing the frame changes a region; a hard cut changes the whole picture.
- `structure`: correlation of the two frames' zero-mean pixels. A fade or a flash changes the
  brightness and keeps the picture's structure (≈ 0.85-1); a new shot does not (≤ 0.7 at every
  cut of the real film).
- `black`: the frame is black (dark and flat): a fade to or from black passes through it.

A hard cut is then a frame whose change is a spike (`ratio` times its neighbours' mean, as
PySceneDetect's AdaptiveDetector asks, so sustained motion and a dissolve's small per-frame
steps do not qualify), that is large, spread over the picture, breaks the structure, and where
neither frame is black. A run of black frames between two pictures is a fade.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

THUMB_WIDTH, THUMB_HEIGHT = 32, 18
BLOCK = 2  # pixels per block side: a 16 x 9 grid
SEARCH = 2  # pixels a block may have moved each way between frames
BLACK_LUMA = 24.0  # a frame darker than this on average (0-255) …
BLACK_FLATNESS = 10.0  # … and flatter than this (standard deviation) is black
BLOCK_BLACK = 16.0  # a block darker than this in both frames is a bar or black: ignored
MOVING_LEVEL = 6.0  # plain change of a block (0-255) that counts as moving
SPREAD_LEVEL = 12.0  # motion-compensated change of a block that counts as changed


@dataclass
class Measures:
    """One entry per processed frame (the first frame's changes are 0)."""

    luma: array = field(default_factory=lambda: array("f"))
    black: array = field(default_factory=lambda: array("b"))
    moving: array = field(default_factory=lambda: array("f"))
    change: array = field(default_factory=lambda: array("f"))
    spread: array = field(default_factory=lambda: array("f"))
    structure: array = field(default_factory=lambda: array("f"))

    def __len__(self) -> int:
        return len(self.luma)


class FrameMeter:
    """Feeds `Measures` one frame at a time; keeps only the previous thumbnail."""

    def __init__(self) -> None:
        self.measures = Measures()
        self._previous: np.ndarray | None = None

    def add(self, bgr: np.ndarray) -> None:
        import cv2

        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        thumb = cv2.resize(gray, (THUMB_WIDTH, THUMB_HEIGHT), interpolation=cv2.INTER_AREA).astype(
            np.float32
        )
        m = self.measures
        m.luma.append(float(thumb.mean()))
        m.black.append(int(thumb.mean() < BLACK_LUMA and thumb.std() < BLACK_FLATNESS))
        previous, self._previous = self._previous, thumb
        if previous is None:
            for column in (m.moving, m.change, m.spread, m.structure):
                column.append(0.0)
            return
        active = ~((_blocks(previous) < BLOCK_BLACK) & (_blocks(thumb) < BLOCK_BLACK))
        if not active.any():
            for column, value in ((m.moving, 0.0), (m.change, 0.0), (m.spread, 0.0)):
                column.append(value)
            m.structure.append(1.0)
            return
        plain = _blocks(np.abs(thumb - previous))[active]
        m.moving.append(float((plain > MOVING_LEVEL).mean()))
        # motion compensation only where something changed: static slides skip the search
        moved = _compensated(previous, thumb)[active] if plain.mean() > 1.0 else plain
        m.change.append(float(moved.mean()))
        m.spread.append(float((moved > SPREAD_LEVEL).mean()))
        pixels = np.repeat(np.repeat(active, BLOCK, axis=0), BLOCK, axis=1)
        m.structure.append(_correlation(previous[pixels], thumb[pixels]))


def _blocks(image: np.ndarray) -> np.ndarray:
    """Mean of each BLOCK x BLOCK block (area interpolation by an integer factor is exactly
    that, and OpenCV does it several times faster than a numpy reshape)."""
    import cv2

    height, width = image.shape
    return cv2.resize(image, (width // BLOCK, height // BLOCK), interpolation=cv2.INTER_AREA)


def _compensated(previous: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Per block, the least mean absolute difference to `previous` shifted by ±SEARCH px."""
    import cv2

    padded = cv2.copyMakeBorder(previous, *(SEARCH,) * 4, cv2.BORDER_REPLICATE)
    height, width = current.shape
    best = _blocks(cv2.absdiff(current, previous))
    for dy in range(2 * SEARCH + 1):
        for dx in range(2 * SEARCH + 1):
            moved = _blocks(cv2.absdiff(current, padded[dy : dy + height, dx : dx + width]))
            best = cv2.min(best, moved)
    return best


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    norm = float(np.sqrt((a * a).sum() * (b * b).sum()))
    # two flat frames have no structure to lose: call them alike
    return float((a * b).sum()) / norm if norm > 1e-6 else 1.0


def moving_share(measures: Measures, moving_area: float) -> float:
    """Share of the frames that move over at least `moving_area` of the picture: ≈ 0 for
    slides (still, or a small presenter inset), 0.24-0.5 for the films measured."""
    if len(measures) < 2:
        return 0.0
    moving = np.frombuffer(measures.moving, dtype=np.float32)[1:]
    return float((moving >= moving_area).mean())


class FootageSettings(BaseModel):
    """How footage is told from slides, and what a hard cut in footage is (see footage.py)."""

    model_config = ConfigDict(extra="forbid")
    moving_area: float = Field(
        default=0.25,
        gt=0,
        le=1,
        description="auto: a frame moves when at least this share of its picture changes",
    )
    moving_share: float = Field(
        default=0.05,
        gt=0,
        le=1,
        description="auto: the video is footage when at least this share of its frames move "
        "(lectures measured: <= 0.01; camera footage: 0.17-0.8)",
    )
    ratio: float = Field(
        default=2.5,
        gt=1,
        description="a cut's motion-compensated change is at least this many times its "
        "neighbours' (sustained motion and dissolves change every frame alike)",
    )
    min_change: float = Field(
        default=6.0, ge=0, description="the least motion-compensated change (0-255) of a cut"
    )
    min_spread: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="the least share of the picture a cut changes (an overlay changes a region)",
    )
    max_structure: float = Field(
        default=0.75,
        gt=0,
        le=1,
        description="the most the frames before and after a cut may correlate (a fade or flash "
        "keeps the picture's structure)",
    )
    window: int = Field(
        default=2,
        ge=1,
        le=30,
        description="neighbours on each side a cut's change is compared with",
    )


def hard_cuts(measures: Measures, rule: FootageSettings) -> list[int]:
    """Indices (into the processed frames) of the first frame of each new shot, ascending."""
    n = len(measures)
    if n < 2:
        return []
    change = np.frombuffer(measures.change, dtype=np.float32).astype(np.float64)
    black = np.frombuffer(measures.black, dtype=np.int8).astype(bool)
    spread = np.frombuffer(measures.spread, dtype=np.float32)
    structure = np.frombuffer(measures.structure, dtype=np.float32)
    # neighbours' mean change, frame 0 (no previous frame) left out of every window
    valid = np.ones(n)
    valid[0] = 0.0
    kernel = np.ones(2 * rule.window + 1)
    kernel[rule.window] = 0.0
    # "full" then centred: "same" would return the kernel's length for a video shorter than it
    centred = slice(rule.window, rule.window + n)
    total = np.convolve(change * valid, kernel)[centred]
    count = np.convolve(valid, kernel)[centred]
    neighbours = total / np.maximum(count, 1.0)
    is_cut = (
        (valid > 0)
        & (change >= rule.min_change)
        & (change >= rule.ratio * neighbours)
        & (spread >= rule.min_spread)
        & (structure <= rule.max_structure)
        & ~black
        & ~np.concatenate(([False], black[:-1]))
    )
    return [int(i) for i in np.flatnonzero(is_cut)]


def fades(black: Sequence[int]) -> list[tuple[int, int]]:
    """(first, last + 1) of each run of black frames with a picture before and after it."""
    runs = []
    index = 0
    n = len(black)
    while index < n:
        if not black[index]:
            index += 1
            continue
        end = index
        while end < n and black[end]:
            end += 1
        if index > 0 and end < n:
            runs.append((index, end))
        index = end
    return runs
