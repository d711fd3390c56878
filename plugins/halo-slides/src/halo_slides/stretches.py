"""Finding the steady stretches of a video — where the picture (but for what moves) holds still —
from small grey thumbnails, so that each is read once.

A stretch ends at a scene cut (the `scenes` track) or where the still part of the picture
changes and then holds (a bullet revealed, a slide changed that the scene detector missed).
What keeps moving — a presenter's webcam inset, a video playing on the slide — is learnt as it
goes: a pixel that changed between at least `MOTION_SHARE` of sampled frame pairs (and at least
`MOTION_MIN` times) is motion. Motion is left out of the comparisons and masked before reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

THUMB_WIDTH = 160
PIXEL_CHANGE = 10  # grey levels (0-255) a thumbnail pixel must move to count as changed
MOTION_SHARE = 0.1
MOTION_MIN = 3
MOTION_GROW = 0.3  # a moving region's box is grown by this share of its size on every side


@dataclass
class Stretch:
    start: float
    end: float
    frame_time: float
    frame: np.ndarray
    """the last steady frame (what is read)"""
    thumb: np.ndarray
    steady_for: float
    """seconds the picture held still"""


@dataclass
class StretchFinder:
    """Feed it sampled frames in order (`add`), then `finish`; it hands back closed stretches.

    Holds one full frame (the current stretch's latest steady one) and a few thumbnails:
    memory does not grow with the video's length.
    """

    cuts: Sequence[float]
    change_fraction: float
    _cut_index: int = 0
    _current: Stretch | None = None
    _previous_thumb: np.ndarray | None = None
    _previous_time: float = 0.0
    _moved: np.ndarray | None = None
    _pairs: int = 0
    _closed: list[Stretch] = field(default_factory=list)

    def motion(self) -> np.ndarray:
        """Boolean thumbnail mask of the pixels that keep moving."""
        if self._moved is None:
            raise ValueError("no frame added yet")
        need = max(MOTION_MIN, MOTION_SHARE * self._pairs)
        return self._moved >= need

    def still(self) -> np.ndarray:
        """Boolean thumbnail mask of what is compared: all but the (grown) moving regions."""
        motion = self.motion()
        height, width = motion.shape
        still = np.ones_like(motion)
        for x0, y0, x1, y1 in moving_regions(motion, width, height):
            still[int(y0) : int(np.ceil(y1)), int(x0) : int(np.ceil(x1))] = False
        return still

    def add(self, time: float, frame: np.ndarray, thumb: np.ndarray) -> list[Stretch]:
        """Take the next sampled frame; return the stretches it closes (zero or one)."""
        if self._moved is None:
            self._moved = np.zeros(thumb.shape, dtype=np.int32)
        closed: list[Stretch] = []
        cut = self._cut_between(self._previous_time, time)
        if self._previous_thumb is not None:
            self._moved += changed_pixels(thumb, self._previous_thumb)
            self._pairs += 1
        current = self._current
        if current is None:
            self._current = Stretch(time, time, time, frame.copy(), thumb, 0.0)
        elif cut is not None:
            closed.append(self._close(cut))
            self._current = Stretch(cut, time, time, frame.copy(), thumb, 0.0)
        else:
            still = self.still()
            differs = self._changed(thumb, current.thumb, still)
            settled = self._previous_thumb is not None and not self._changed(
                thumb, self._previous_thumb, still
            )
            if differs and settled:
                # the new picture showed first at the previous sample, and has held since
                closed.append(self._close(self._previous_time))
                self._current = Stretch(
                    self._previous_time, time, time, frame.copy(), thumb, time - self._previous_time
                )
            elif not differs:
                current.steady_for += time - self._previous_time
                current.frame_time = time
                current.frame = frame.copy()
        if self._current is not None:
            self._current.end = time
        self._previous_thumb, self._previous_time = thumb, time
        return closed

    def finish(self, end: float) -> list[Stretch]:
        """Close the last stretch at `end` (the video's end)."""
        return [self._close(end)] if self._current is not None else []

    def _close(self, at: float) -> Stretch:
        assert self._current is not None
        stretch = self._current
        stretch.end = max(at, stretch.start)
        self._current = None
        return stretch

    def _cut_between(self, after: float, until: float) -> float | None:
        """The last scene cut in (after, until], consuming every cut up to `until`."""
        found = None
        while self._cut_index < len(self.cuts) and self.cuts[self._cut_index] <= until:
            if self.cuts[self._cut_index] > after:
                found = self.cuts[self._cut_index]
            self._cut_index += 1
        return found

    def _changed(self, a: np.ndarray, b: np.ndarray, still: np.ndarray) -> bool:
        return float((changed_pixels(a, b) & still).mean()) > self.change_fraction


def changed_pixels(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a.astype(np.int16) - b.astype(np.int16)) > PIXEL_CHANGE


def moving_regions(mask: np.ndarray, width: int, height: int) -> list[tuple[float, ...]]:
    """Boxes (x0, y0, x1, y1, in pixels of a width x height frame) around each moving region of a
    thumbnail mask, grown by `MOTION_GROW` so a webcam inset's still edges are covered too."""
    import cv2

    if not mask.any():
        return []
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
    sx, sy = width / mask.shape[1], height / mask.shape[0]
    boxes = []
    for x, y, w, h, _area in stats[1:count]:
        gx, gy = max(1.0, MOTION_GROW * w), max(1.0, MOTION_GROW * h)
        boxes.append(
            (
                max(0.0, (x - gx) * sx),
                max(0.0, (y - gy) * sy),
                min(float(width), (x + w + gx) * sx),
                min(float(height), (y + h + gy) * sy),
            )
        )
    return boxes
