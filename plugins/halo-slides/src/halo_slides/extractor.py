"""Extractor `slides`: the text on screen, read once per steady stretch of frames.

Frames are decoded once (`halo_core.iter_frames`, a few samples a second, at the size the OCR
reads best), each reduced to a grey thumbnail to find steady stretches (`stretches.py`); the
last steady frame of each stretch is read with RapidOCR (`ocr.py`), with moving regions masked,
and its lines sorted into heading and body with page numbers and margin chrome left out
(`layout.py`). Neighbouring stretches that read the same are one `SlideText`.
"""

from __future__ import annotations

import importlib.util
from collections import deque
from typing import Any

import numpy as np
from pydantic import Field

from halo_core import (
    ComponentConfig,
    Extractor,
    Media,
    ModelRef,
    RunContext,
    SlideLine,
    SlideText,
    Timeline,
    iter_frames,
    probe_video,
)

from .layout import drop_repeated_margin_text, same_reading, slide_lines, slide_text
from .ocr import INSTALL, engine_ref, read_lines
from .stretches import THUMB_WIDTH, Stretch, StretchFinder, changed_pixels, moving_regions

NEEDED_BY = "slide text recognition"
MAX_WIDTH = 1920
REMEMBERED_READS = 32  # recent stretches whose reading is reused when the same picture returns


class SlidesConfig(ComponentConfig):
    sample_fps: float = Field(
        default=2.0, gt=0, le=30, description="frames looked at per second of video"
    )
    min_steady: float = Field(
        default=1.0,
        ge=0,
        description="seconds the picture must hold still to be read (skips transitions)",
    )
    change_fraction: float = Field(
        default=0.005,
        gt=0,
        lt=1,
        description="share of the still pixels that must change to start a new stretch",
    )
    min_confidence: float = Field(
        default=0.6, ge=0, le=1, description="lines read with less confidence are dropped"
    )
    threads: int = Field(
        default=1,
        ge=1,
        le=64,
        description="ONNX Runtime threads per read (1: fastest on a busy CPU)",
    )


class SlidesExtractor(Extractor[SlidesConfig]):
    name = "slides"
    version = "1"
    Config = SlidesConfig
    provides = "slides"
    requires = ("scenes",)
    media_needs = frozenset({"video"})
    description = "Slide text (heading and lines) read with RapidOCR once per steady stretch."

    def check(self) -> list[str]:
        if importlib.util.find_spec("rapidocr_onnxruntime") is None:
            return [f"rapidocr-onnxruntime is not installed; install it with `{INSTALL}`"]
        return []

    def models(self) -> list[ModelRef[Any, Any]]:
        return [engine_ref(self.config.threads)]

    def extract(self, media: Media, timeline: Timeline, ctx: RunContext) -> list[SlideText]:
        import cv2

        info = probe_video(media, NEEDED_BY)
        # frames wider than MAX_WIDTH are read smaller: their text stays legible, work shrinks
        scale = min(1.0, MAX_WIDTH / info.width)
        width, height = _even(info.width * scale), _even(info.height * scale)
        thumb_size = (THUMB_WIDTH, max(1, round(THUMB_WIDTH * info.height / info.width)))
        skip = max(0, round(float(info.fps) / self.config.sample_fps) - 1)
        cuts = [scene.start for scene in timeline.track("scenes") if scene.start > 0]
        finder = StretchFinder(cuts=cuts, change_fraction=self.config.change_fraction)
        reads: deque[tuple[np.ndarray, list[SlideLine]]] = deque(maxlen=REMEMBERED_READS)
        slides: list[SlideText] = []
        last_time = 0.0
        stretches = ocr_reads = 0

        def read(stretch: Stretch) -> None:
            nonlocal stretches, ocr_reads
            if stretch.steady_for < self.config.min_steady or ctx.cancelled.is_set():
                return
            stretches += 1
            lines, fresh = self._read(stretch, finder, reads, width, height)
            ocr_reads += fresh
            if not lines:
                return
            text = "\n".join(line.text for line in lines)
            previous = slides[-1] if slides else None
            if (
                previous is not None
                and abs(previous.end - stretch.start) < 1e-6
                and same_reading(previous.text, text)
            ):
                # one slide read twice: keep the reading with more words (spaces lost are the
                # recognizer's usual slip)
                if len(text.split()) > len(previous.text.split()):
                    slides[-1] = slide_text(previous.start, stretch.end, stretch.frame_time, lines)
                else:
                    slides[-1] = previous.model_copy(update={"end": stretch.end})
            else:
                slides.append(slide_text(stretch.start, stretch.end, stretch.frame_time, lines))

        for frame in iter_frames(
            media,
            width,
            height,
            "bgr24",
            ctx,
            frame_skip=skip,
            interpolation="AREA",
            needed_by=NEEDED_BY,
        ):
            grey = cv2.cvtColor(frame.pixels, cv2.COLOR_BGR2GRAY)
            thumb = cv2.resize(grey, thumb_size, interpolation=cv2.INTER_AREA)
            for stretch in finder.add(frame.time, frame.pixels, thumb):
                read(stretch)
            last_time = frame.time
        if ctx.cancelled.is_set():
            return []
        for stretch in finder.finish(max(media.duration, last_time)):
            read(stretch)
        slides = drop_repeated_margin_text(slides)
        ctx.log.info(
            "slides: %d steady stretches, %d OCR reads, %d slides",
            stretches,
            ocr_reads,
            len(slides),
        )
        return slides

    def _read(
        self,
        stretch: Stretch,
        finder: StretchFinder,
        reads: deque[tuple[np.ndarray, list[SlideLine]]],
        width: int,
        height: int,
    ) -> tuple[list[SlideLine], bool]:
        """The stretch's slide lines, and whether OCR read them (False: reused from a recent
        stretch that showed the same picture)."""
        still = finder.still()
        for thumb, lines in reads:
            if float((changed_pixels(thumb, stretch.thumb) & still).mean()) <= (
                self.config.change_fraction
            ):
                return lines, False
        masked = moving_regions(finder.motion(), width, height)
        image = stretch.frame
        if masked:
            image = image.copy()
            fill = np.median(image.reshape(-1, 3), axis=0).astype(image.dtype)
            for x0, y0, x1, y1 in masked:
                image[int(y0) : int(np.ceil(y1)), int(x0) : int(np.ceil(x1))] = fill
        raw = read_lines(image, self.config.threads)
        lines = slide_lines(raw, width, height, masked, self.config.min_confidence)
        reads.append((stretch.thumb, lines))
        return lines, True


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)
