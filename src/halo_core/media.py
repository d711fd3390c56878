"""Probing input files: content hash (streamed) and streams, with clear errors for bad input."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from .errors import MediaError
from .model import Media, Stream

_HASH_BLOCK = 1 << 20
PROBE_VERSION = 2
"""Part of a stored probe's key: 2 added the container's title tag."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def probe(path: Path) -> Media:
    """Describe a media file; raise MediaError (what, where, fix) for anything unusable."""
    import av  # PyAV bundles FFmpeg's libraries: no ffmpeg binary is needed to probe

    path = Path(path)
    if not path.exists():
        raise MediaError(
            "file not found", where=str(path), fix="check the path, or pass --input FILE"
        )
    if not path.is_file():
        raise MediaError("not a file", where=str(path), fix="pass a media file, not a folder")
    size = path.stat().st_size
    if size == 0:
        raise MediaError(
            "file is empty (0 bytes)", where=str(path), fix="re-export or re-download it"
        )
    try:
        sha256 = sha256_file(path)
        container = av.open(str(path))
    except PermissionError:
        raise MediaError(
            "cannot read file (permission denied)", where=str(path), fix=f"chmod +r {path}"
        ) from None
    except av.error.FFmpegError as exc:
        raise MediaError(
            f"not a media file FFmpeg can read ({exc.strerror or exc})",
            where=str(path),
            fix="pass a video or audio file (mp4, mkv, webm, mov, wav, mp3, …)",
        ) from None
    with container:
        streams = [_stream(s) for s in container.streams]
        duration = _duration(container)
        title = (container.metadata or {}).get("title", "").strip() or None
    if not any(s.kind in ("video", "audio") for s in streams):
        raise MediaError(
            "no audio or video stream in file",
            where=str(path),
            fix="pass a file with an audio or video track",
        )
    return Media(
        path=path.resolve(),
        sha256=sha256,
        size_bytes=size,
        duration=duration,
        streams=streams,
        title=title,
    )


def _stream(stream: Any) -> Stream:
    # `stream` and `container` are PyAV objects, whose attributes depend on the stream kind.
    kind = getattr(stream, "type", "data")
    codec = getattr(getattr(stream, "codec_context", None), "name", None)
    language = (getattr(stream, "metadata", {}) or {}).get("language")
    if kind == "video":
        rate = stream.average_rate or stream.guessed_rate
        return Stream(
            index=stream.index,
            kind="video",
            codec=codec,
            language=language,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            fps=float(rate) if rate else None,
            frames=stream.frames or None,
        )
    if kind == "audio":
        ctx = stream.codec_context
        return Stream(
            index=stream.index,
            kind="audio",
            codec=codec,
            language=language,
            sample_rate=ctx.sample_rate,
            channels=ctx.channels,
        )
    return Stream(
        index=stream.index,
        kind="subtitle" if kind == "subtitle" else "data",
        codec=codec,
        language=language,
    )


def _duration(container: Any) -> float:
    import av

    if container.duration:
        return float(container.duration / av.time_base)
    spans = [
        float(s.duration * s.time_base)
        for s in container.streams
        if s.duration and s.time_base
    ]
    return max(spans, default=0.0)

