"""From detected cuts to `Scene` segments that tile the video, and their keyframe JPEGs."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image

from halo_core import Media, MediaError, RunContext, Scene, Transition, open_video_stream


@dataclass(frozen=True)
class Cut:
    time: float
    """seconds: the first frame of the new scene"""
    score: float
    """cut strength in [0, 1]"""
    transition: Transition | None = None
    """how the new scene begins, when the detector tells (footage): cut, fade"""


def cut_strength(change: float, half: float = 10.0) -> float:
    """Map an unbounded change measure (mean pixel change, 0-255 scale) into [0, 1).

    `change == half` maps to 0.5. A slide change that only swaps text (≈ 4-6 levels of luma)
    scores ≈ 0.3, a new topic's layout (≈ 15-35) ≈ 0.7, a film cut (≈ 30-100) ≈ 0.8-0.9.
    """
    change = max(0.0, change)
    return change / (change + half)


def scenes_from_cuts(cuts: Sequence[Cut], end: float, fps: float) -> list[Scene]:
    """Scenes that tile [0, end]: the first starts at 0 with score 1, each cut opens the next.

    Cuts within half a frame of 0 or of `end` are dropped, and of two cuts within half a frame
    of each other the stronger is kept: no scene is shorter than half a frame. Each keyframe is
    the frame in the middle of its scene.
    """
    half_frame = 0.5 / fps if fps > 0 else 1e-6
    kept: list[Cut] = []
    for cut in sorted(cuts, key=lambda c: c.time):
        if cut.time < half_frame or cut.time > end - half_frame:
            continue
        if kept and cut.time - kept[-1].time < half_frame:
            if cut.score > kept[-1].score:
                kept[-1] = cut
            continue
        kept.append(cut)
    starts = [Cut(0.0, 1.0), *kept]
    scenes = []
    for opening, following in zip(starts, [*kept, None]):
        stop = following.time if following is not None else end
        scenes.append(
            Scene(
                start=opening.time,
                end=stop,
                score=min(1.0, max(0.0, opening.score)),
                keyframe=middle_frame(opening.time, stop, fps),
                transition=opening.transition,
            )
        )
    return scenes


def middle_frame(start: float, end: float, fps: float) -> float:
    """Time of the frame nearest the middle of [start, end), never outside it."""
    middle = (start + end) / 2
    if fps <= 0:
        return middle
    snapped = math.floor(middle * fps) / fps
    return min(max(snapped, start), end)


def write_keyframes(
    media: Media, scenes: list[Scene], work_dir: Path, max_side: int, quality: int, ctx: RunContext
) -> list[Scene]:
    """Save one JPEG per scene (longest side at most `max_side` px) and return the scenes with
    `keyframe_path` set. Seeks to each keyframe instead of keeping frames during detection, so
    detection memory stays flat; this decodes at most one GOP per scene.
    """
    folder = work_dir / "keyframes"
    folder.mkdir(parents=True, exist_ok=True)
    out: list[Scene] = []
    with open_video_stream(media.path) as (container, stream):
        time_base = stream.time_base
        start_pts = stream.start_time or 0
        for number, scene in enumerate(scenes):
            if ctx.cancelled.is_set():
                break
            image = _frame_at(container, stream, scene.keyframe, time_base, start_pts, media.path)
            scale = min(1.0, max_side / max(image.width, image.height))
            if scale < 1.0:
                image = image.resize(
                    (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
                )
            path = folder / f"scene-{number:04d}-{scene.keyframe:010.3f}s.jpg"
            _save_jpeg_atomic(image, path, quality)
            out.append(scene.model_copy(update={"keyframe_path": str(path)}))
    return out + scenes[len(out) :]


def _frame_at(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    time: float,
    time_base: object,
    start_pts: int,
    where: Path,
) -> Image.Image:
    """The first decoded frame at or after `time` seconds (or the video's last frame)."""
    target = start_pts + int(time / time_base)  # type: ignore[operator]
    try:
        container.seek(target, stream=stream, backward=True, any_frame=False)
        last = None
        for frame in container.decode(stream):
            last = frame
            if frame.pts is None or frame.pts >= target - 1:
                break
    except av.error.FFmpegError as exc:
        raise MediaError(
            f"cannot decode the keyframe at {time:.2f}s ({exc.strerror or exc})",
            where=str(where),
            fix="re-encode the file, or set `keyframes: false`",
        ) from None
    if last is None:
        raise MediaError(
            f"no frame at {time:.2f}s for the keyframe",
            where=str(where),
            fix="re-encode the file, or set `keyframes: false`",
        )
    return last.to_image()


def _save_jpeg_atomic(image: Image.Image, path: Path, quality: int) -> None:
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, 0o644)  # mkstemp makes 0600; keyframes are meant to be shared
        with os.fdopen(handle, "wb") as stream:
            image.save(stream, format="JPEG", quality=quality, optimize=True)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
