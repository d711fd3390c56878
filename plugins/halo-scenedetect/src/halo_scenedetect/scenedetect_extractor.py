"""Extractor `scenedetect`: PySceneDetect's content, adaptive and threshold detectors.

Frames are decoded once by PyAV at the detector's working size (`halo_core.iter_frames`) and
pushed into the PySceneDetect detector directly, so HALO adds no second decode and no frame copies
to what bare PySceneDetect does.

Why the defaults are what they are (measured on the lecture media, see the README):
a slide change that only swaps text moves the mean luma of a 256-px-wide frame by ≈ 4-6 levels,
while a presenter webcam inset, sensor noise and encoder keyframes move it by ≤ 1.3. Hue reacts
to the inset's noise (up to 4.5) and edges to encoder keyframes (up to 8), so the default scores
luma only. The adaptive detector compares each frame with its neighbours: on film, where motion
keeps every frame's change high, that ratio keeps it from cutting on motion despite the low
`min_content_val`, so one setting serves lectures and real footage.
"""

from __future__ import annotations

import collections
from array import array
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from halo_core import (
    Extractor,
    Media,
    RunContext,
    Scene,
    Timeline,
    iter_frames,
    probe_video,
    scaled_size,
)

from .footage import FootageSettings, FrameMeter, Measures, fades, hard_cuts, moving_share
from .options import NEEDED_BY, SceneOptions, build_scenes, enforce_min_scene_len
from .scenes import Cut, cut_strength

Detector = Literal["adaptive", "content", "threshold"]

# per detector, what `threshold` means when it is not set
DEFAULT_THRESHOLD: dict[str, float] = {"adaptive": 3.0, "content": 2.0, "threshold": 12.0}
# PySceneDetect's auto downscale aims at frames at least this wide
AUTO_MIN_WIDTH = 256


class ChannelWeights(BaseModel):
    """How much each channel's mean change counts in a frame's change score."""

    model_config = ConfigDict(extra="forbid")
    hue: float = Field(default=0.0, ge=0, description="weight of the hue change")
    sat: float = Field(default=0.0, ge=0, description="weight of the saturation change")
    lum: float = Field(default=1.0, ge=0, description="weight of the luma change")
    edges: float = Field(default=0.0, ge=0, description="weight of the change of (Canny) edges")

    @model_validator(mode="after")
    def _some_weight(self) -> ChannelWeights:
        if self.hue + self.sat + self.lum + self.edges <= 0:
            raise ValueError("at least one of hue, sat, lum, edges must be > 0")
        return self


class SceneDetectConfig(SceneOptions):
    mode: Literal["auto", "slides", "footage"] = Field(
        default="auto",
        description="auto: footage settings when the picture moves like camera footage or "
        "animation, else slides settings; slides: the PySceneDetect `detector` below (tuned for "
        "slide changes, incl. text-only ones); footage: hard cuts told from fades, dissolves, "
        "motion and overlays (the `footage` settings)",
    )
    footage: FootageSettings = Field(
        default_factory=FootageSettings,
        description="footage mode: how footage is recognised and what a hard cut is",
    )
    detector: Detector = Field(
        default="adaptive",
        description="adaptive: a frame that changes much more than its neighbours (robust to "
        "motion; the default); content: a frame whose change exceeds `threshold`; "
        "threshold: fades to and from black",
    )
    threshold: float | None = Field(
        default=None,
        gt=0,
        description="adaptive: ratio of a frame's change to its neighbours' (default 3); content: "
        "change score, 0-255 (default 2, tuned for slides; ~27 with hsv weights for "
        "film); threshold: mean pixel intensity, 0-255, below which a frame is black "
        "(default 12)",
    )
    min_content_val: float = Field(
        default=2.0,
        ge=0,
        description="adaptive only: the least change score (0-255) a cut needs besides the ratio",
    )
    window_width: int = Field(
        default=2, ge=1, le=30, description="adaptive only: neighbours on each side to compare with"
    )
    weights: ChannelWeights = Field(
        default_factory=ChannelWeights,
        description="content and adaptive: channel weights of the change score "
        "(default: luma only)",
    )
    downscale: Literal["auto"] | int = Field(
        default="auto",
        description="divide the frame size by this before detecting; auto: to about 256 px wide "
        "(PySceneDetect's choice)",
    )
    frame_skip: int = Field(
        default=0,
        ge=0,
        description="skip this many frames after each processed one (faster; cut times are then "
        "only accurate to frame_skip + 1 frames)",
    )

    @model_validator(mode="after")
    def _downscale_positive(self) -> SceneDetectConfig:
        if isinstance(self.downscale, int) and self.downscale < 1:
            raise ValueError("downscale must be 'auto' or an integer >= 1")
        return self


def make_detector(config: SceneDetectConfig, fps: float) -> Any:
    """The PySceneDetect detector the config describes (min_scene_len converted to frames)."""
    from scenedetect.detectors import (  # type: ignore[import-untyped]
        AdaptiveDetector,
        ContentDetector,
        ThresholdDetector,
    )

    threshold = (
        config.threshold if config.threshold is not None else DEFAULT_THRESHOLD[config.detector]
    )
    min_frames = max(1, round(config.min_scene_len * fps))
    if config.detector == "threshold":
        return ThresholdDetector(threshold=threshold, min_scene_len=min_frames)
    weights = ContentDetector.Components(
        delta_hue=config.weights.hue,
        delta_sat=config.weights.sat,
        delta_lum=config.weights.lum,
        delta_edges=config.weights.edges,
    )
    if config.detector == "content":
        return ContentDetector(threshold=threshold, min_scene_len=min_frames, weights=weights)
    return AdaptiveDetector(
        adaptive_threshold=threshold,
        min_scene_len=min_frames,
        window_width=config.window_width,
        min_content_val=config.min_content_val,
        weights=weights,
    )


def downscale_factor(config: SceneDetectConfig, width: int) -> float:
    if config.downscale == "auto":
        from scenedetect.scene_manager import (  # type: ignore[import-untyped]
            compute_downscale_factor,
        )

        return float(compute_downscale_factor(width, AUTO_MIN_WIDTH))
    return float(config.downscale)


class SceneDetect(Extractor[SceneDetectConfig]):
    name = "scenedetect"
    version = "1"
    Config = SceneDetectConfig
    provides = "scenes"
    media_needs = frozenset({"video"})
    description = (
        "Shot and slide changes with PySceneDetect (adaptive, content or threshold detector)."
    )

    def check(self) -> list[str]:
        try:
            import scenedetect  # type: ignore[import-untyped]  # noqa: F401
        except ImportError as exc:
            return [
                f"PySceneDetect is not importable ({exc}); install it with "
                "`pip install scenedetect opencv-python-headless`"
            ]
        return []

    def extract(self, media: Media, timeline: Timeline, ctx: RunContext) -> list[Scene]:
        from scenedetect import FrameTimecode  # type: ignore[import-untyped]

        info = probe_video(media, NEEDED_BY)
        fps = float(info.fps)
        width, height = scaled_size(
            info.width, info.height, downscale_factor(self.config, info.width)
        )
        detector = make_detector(self.config, fps)
        # a cut is reported up to min_scene_len + the detector's look-behind after its frame:
        # remember that many frames' (time, change score), no more
        recent: collections.deque[tuple[int, float, float]] = collections.deque(
            maxlen=round(self.config.min_scene_len * fps) + detector.event_buffer_length + 8
        )
        cuts: list[Cut] = []
        meter = FrameMeter() if self.config.mode != "slides" else None
        times = array("d")  # processed frames' times, for footage cuts
        last_index, last_time = 0, 0.0
        for frame in iter_frames(
            media,
            width,
            height,
            "bgr24",
            ctx,
            frame_skip=self.config.frame_skip,
            needed_by=NEEDED_BY,
        ):
            timecode = FrameTimecode(frame.index, info.fps)
            found = detector.process_frame(timecode, frame.pixels)
            # why a private attribute: it is the score PySceneDetect just compared (None for the
            # threshold detector); a StatsManager would also give it, but forces edge detection
            # on every frame and forbids frame_skip
            recent.append((frame.index, frame.time, getattr(detector, "_frame_score", None) or 0.0))
            cuts.extend(self._cut(tc.frame_num, recent, fps) for tc in found)
            if meter is not None:
                meter.add(frame.pixels)
                times.append(frame.time)
            last_index, last_time = frame.index, frame.time
        cuts.extend(
            self._cut(tc.frame_num, recent, fps)
            for tc in detector.post_process(FrameTimecode(last_index, info.fps))
        )
        end = max(info.duration, last_time + 1.0 / fps)
        if meter is not None and self._is_footage(meter.measures, ctx):
            cuts = self._footage_cuts(meter.measures, times)
        return build_scenes(media, cuts, end, fps, self.config, ctx)

    def _is_footage(self, measures: Measures, ctx: RunContext) -> bool:
        if self.config.mode == "footage":
            return True
        settings = self.config.footage
        share = moving_share(measures, settings.moving_area)
        footage = share >= settings.moving_share
        ctx.log.info(
            "%.0f%% of the frames move over >= %.0f%% of the picture: %s settings",
            100 * share,
            100 * settings.moving_area,
            "footage" if footage else "slides",
        )
        return footage

    def _footage_cuts(self, measures: Measures, times: array) -> list[Cut]:
        """Hard cuts (told from motion, overlays, fades, dissolves) and fades through black."""
        found = [
            Cut(times[i], cut_strength(measures.change[i]), "cut")
            for i in hard_cuts(measures, self.config.footage)
        ]
        # a fade's new scene starts in the middle of its black frames; black has no strength
        found += [Cut(times[(a + b) // 2], 1.0, "fade") for a, b in fades(measures.black)]
        return enforce_min_scene_len(found, self.config.min_scene_len)

    def _cut(
        self, index: int, recent: collections.deque[tuple[int, float, float]], fps: float
    ) -> Cut:
        """The cut at frame `index`: its decoded time, and its strength from the frame's change."""
        time, change = next(((t, c) for i, t, c in recent if i == index), (index / fps, 0.0))
        return Cut(
            time=time, score=1.0 if self.config.detector == "threshold" else cut_strength(change)
        )
