"""Options both scene extractors share, and the step both end with: cuts -> scenes (+ keyframes)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from halo_core import ComponentConfig, Media, RunContext, Scene

from .scenes import Cut, scenes_from_cuts, write_keyframes

NEEDED_BY = "scene detection"  # what the media-error messages say needs the video


class SceneOptions(ComponentConfig):
    min_scene_len: float = Field(
        default=0.5,
        ge=0,
        description="seconds: a cut closer than this to the previous one is dropped (flashes, "
        "flicker)",
    )
    keyframes: bool = Field(
        default=False,
        description="save one JPEG per scene (the middle frame) into the stage's work folder, for "
        "notes and for LLM backends that accept images",
    )
    keyframe_max_side: int = Field(
        default=640,
        ge=16,
        le=4096,
        description="longest side of a keyframe JPEG in pixels (bounds their size on disk)",
    )
    keyframe_quality: int = Field(default=80, ge=10, le=95, description="JPEG quality of keyframes")


def enforce_min_scene_len(cuts: Sequence[Cut], min_len: float) -> list[Cut]:
    """Drop each cut that comes less than `min_len` seconds after the last kept one (or after 0)."""
    kept: list[Cut] = []
    last = 0.0
    for cut in sorted(cuts, key=lambda c: c.time):
        if cut.time - last >= min_len:
            kept.append(cut)
            last = cut.time
    return kept


def build_scenes(
    media: Media,
    cuts: Sequence[Cut],
    end: float,
    fps: float,
    options: SceneOptions,
    ctx: RunContext,
) -> list[Scene]:
    scenes = scenes_from_cuts(cuts, end, fps)
    if options.keyframes:
        scenes = write_keyframes(
            media, scenes, ctx.work_dir, options.keyframe_max_side, options.keyframe_quality, ctx
        )
    ctx.log.info("%d scenes (%d cuts) in %.1f s of video", len(scenes), len(scenes) - 1, end)
    return scenes
