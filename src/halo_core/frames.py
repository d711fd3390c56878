"""Decoding video frames once, in a stream, at the size a video extractor works on.

Public helper for extractors that read frames (scene detection, slide OCR, …). PyAV bundles
FFmpeg's libraries, so no ffmpeg binary is needed. Frames are scaled and converted by libswscale
while decoding (one step, no full-size copy), and at most a few frames are alive at a time:
memory stays flat however long the video is. PyAV is imported on first use, not with halo_core.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

import numpy as np

from .context import RunContext
from .errors import MediaError
from .model import Media

if TYPE_CHECKING:
    import av

PixelFormat = Literal["bgr24", "rgb24"]
T = TypeVar("T")

DECODE_THREAD = "halo-decode"  # the background thread's name (tests check none is left behind)
PREFETCH_FRAMES = 4  # frames decoded ahead of the consumer (PySceneDetect's queue length)

_REENCODE_FIX = "re-encode the file, e.g. `ffmpeg -i IN -c:v libx264 -c:a aac OUT.mp4`"


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: Fraction
    duration: float


@dataclass(frozen=True)
class Frame:
    index: int
    """position in decode order, counting every decoded frame (skipped ones too)"""
    time: float
    """seconds from the start of the video stream"""
    pixels: np.ndarray


def _open(path: Path) -> av.container.InputContainer:
    import av

    try:
        return av.open(str(path))
    except av.error.FFmpegError as exc:
        raise MediaError(
            f"not a media file FFmpeg can read ({exc.strerror or exc})",
            where=str(path),
            fix="pass a video file (mp4, mkv, webm, mov, …)",
        ) from None


def _video_stream(
    container: av.container.InputContainer, path: Path, needed_by: str
) -> av.video.stream.VideoStream:
    if not container.streams.video:
        raise MediaError(
            f"no video stream: {needed_by} needs a video track",
            where=str(path),
            fix=f"pass a file with a video track, or remove the extractor that does {needed_by} "
            "from the spec's `extractors:` for audio-only input",
        )
    return container.streams.video[0]


@contextmanager
def open_video_stream(
    path: Path, needed_by: str = "this extractor"
) -> Iterator[tuple[av.container.InputContainer, av.video.stream.VideoStream]]:
    """The open container and its first video stream; MediaError if unreadable or without video
    (`needed_by` names the work that needs the video, for the error message)."""
    with _open(path) as container:
        yield container, _video_stream(container, path, needed_by)


def probe_video(media: Media, needed_by: str = "this extractor") -> VideoInfo:
    """Size, frame rate and duration of the first video stream (MediaError if there is none)."""
    with open_video_stream(media.path, needed_by) as (_, stream):
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        return VideoInfo(
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            fps=Fraction(rate),
            duration=media.duration,
        )


def iter_frames(
    media: Media,
    width: int,
    height: int,
    pixel_format: PixelFormat,
    ctx: RunContext,
    *,
    frame_skip: int = 0,
    interpolation: str = "AREA",
    needed_by: str = "this extractor",
) -> Iterator[Frame]:
    """Decode the first video stream once, yielding every (1 + frame_skip)-th frame scaled to
    width x height. Reports progress in media seconds and stops when the run is cancelled.

    Decoding runs in a background thread a few frames ahead (as PySceneDetect's SceneManager
    does), so it overlaps the consumer's work. A damaged packet here and there is skipped with a
    warning (a few lost frames cannot hide a scene or a slide); MediaError if the file has no
    video stream or none of its frames decode.
    """
    import av

    total = media.duration or None
    bad_packets = 0
    last_error = ""
    yielded = False
    next_report = 0.0
    scaled = _scaled_frames(
        media.path, width, height, pixel_format, frame_skip, interpolation, needed_by
    )
    for item in _prefetch(scaled, PREFETCH_FRAMES):
        if isinstance(item, av.error.FFmpegError):
            bad_packets += 1
            last_error = str(item.strerror or item)
            continue
        if ctx.cancelled.is_set():
            return
        yielded = True
        yield item
        if item.time >= next_report:  # about once per media second: progress is cheap, not free
            ctx.progress(min(item.time, total) if total else item.time, total)
            next_report = item.time + 1.0
    if not yielded:
        detail = f" ({bad_packets} damaged packets: {last_error})" if bad_packets else ""
        raise MediaError(
            f"none of the video frames can be decoded{detail}",
            where=str(media.path),
            fix=_REENCODE_FIX,
        )
    if bad_packets:
        ctx.log.warning(
            "%s: skipped %d undecodable video packets (%s); changes near them may be missed",
            media.path,
            bad_packets,
            last_error,
        )
    ctx.progress(total or 0.0, total)


def _scaled_frames(
    path: Path,
    width: int,
    height: int,
    pixel_format: PixelFormat,
    frame_skip: int,
    interpolation: str,
    needed_by: str,
) -> Iterator[Frame | av.error.FFmpegError]:
    import av
    from av.video.reformatter import VideoReformatter

    # one reformatter for the whole stream keeps libswscale's context: a fresh one per frame
    # (what VideoFrame.to_ndarray(width=...) does) costs more than decoding the frame
    reformatter = VideoReformatter()
    with open_video_stream(path, needed_by) as (container, stream):
        rate = float(stream.average_rate or stream.guessed_rate or 25)
        start = stream.start_time or 0
        time_base = stream.time_base
        index = -1
        for frame in _decoded(container, stream):
            if isinstance(frame, av.error.FFmpegError):
                yield frame
                continue
            index += 1
            if frame_skip and index % (frame_skip + 1):
                continue
            time = (
                float((frame.pts - start) * time_base)
                if frame.pts is not None and time_base
                else index / rate
            )
            scaled = reformatter.reformat(
                frame, width, height, pixel_format, interpolation=interpolation
            )
            pixels = scaled.to_ndarray()
            yield Frame(index=index, time=max(0.0, time), pixels=pixels)


def _prefetch(items: Iterator[T], depth: int) -> Iterator[T]:
    """Iterate `items` in a background thread, at most `depth` items ahead (bounded memory).

    Exceptions raised by `items` are re-raised here; leaving the loop early stops the thread
    and closes `items` (and so the file) in that thread.
    """
    slots: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[str, object]) -> bool:
        while not stop.is_set():
            try:
                slots.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("done", None))
        except BaseException as exc:  # handed to the consumer, which raises it
            put(("error", exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name=DECODE_THREAD, daemon=True)
    worker.start()
    try:
        while True:
            kind, value = slots.get()
            if kind == "done":
                return
            if kind == "error":
                raise value  # type: ignore[misc]
            yield value  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()


def _decoded(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> Iterator[av.VideoFrame | av.error.FFmpegError]:
    """Decoded frames, with the error in place of the frames of each packet that fails."""
    import av

    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except av.error.FFmpegError as exc:
            yield exc
            continue
        yield from frames


def scaled_size(width: int, height: int, factor: float) -> tuple[int, int]:
    """Frame size after dividing by `factor`, rounded like PySceneDetect's downscale."""
    return max(1, round(width / factor)), max(1, round(height / factor))
