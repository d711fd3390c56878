"""Streaming audio decoding with PyAV: 16 kHz mono float32 windows, never the whole file at once.

A 3-hour lecture is 690 MB of float32 samples at 16 kHz; decoding it whole (what
`faster_whisper.decode_audio` does) grows memory with the input. Here the audio track is decoded
packet by packet and handed out in windows of about `window_s` seconds, each cut at the quietest
moment near its end so no word is split between two windows. Peak memory is a couple of windows,
whatever the length of the input.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from halo_core import Media, MediaError

SAMPLE_RATE = 16_000
_QUIET_SEARCH_S = 20.0  # look this far back from a window's end for the quietest moment
_QUIET_FRAME_S = 0.05
_GAP_TOLERANCE_S = 0.05  # a jump in frame timestamps larger than this is a gap filled with silence
_MAX_BAD_PACKET_SHARE = 0.5


@dataclass(frozen=True)
class AudioWindow:
    """`samples` (16 kHz mono float32) starting `offset` seconds into the media."""

    offset: float
    samples: np.ndarray

    @property
    def end(self) -> float:
        return self.offset + len(self.samples) / SAMPLE_RATE


def silero_vad() -> ModuleType:
    """`faster_whisper.vad` (Silero voice activity detection), imported through its package.
    Importing the submodule directly while another stage imports the package (diarization
    beside ASR) can deadlock: each thread holds one of the two modules' import locks and waits
    for the other's (`_DeadlockError: deadlock detected by _ModuleLock('faster_whisper.vad')`).
    Taking the package first gives every thread the same lock order."""
    import faster_whisper  # noqa: F401
    from faster_whisper import vad

    return vad


def require_audio(media: Media, component: str) -> None:
    """Raise a MediaError naming the file when it has no audio track to listen to."""
    if not media.has_audio:
        kinds = ", ".join(sorted({s.kind for s in media.streams})) or "none"
        raise MediaError(
            f"no audio stream (streams found: {kinds}); {component} needs speech to work on",
            where=str(media.path),
            fix=f"pass a file with an audio track, or remove `{component}` from the spec's "
            "extractors",
        )


def quiet_cut(samples: np.ndarray, earliest: int) -> int:
    """Index of the quietest short frame in samples[earliest:], a good place to split speech."""
    frame = int(_QUIET_FRAME_S * SAMPLE_RATE)
    tail = samples[earliest:]
    frames = len(tail) // frame
    if frames < 2:
        return len(samples)
    energy = np.square(tail[: frames * frame].reshape(frames, frame), dtype=np.float32).mean(axis=1)
    return earliest + int(np.argmin(energy)) * frame + frame // 2


def stream_windows(
    path: Path, window_s: float, log: logging.Logger | None = None
) -> Iterator[AudioWindow]:
    """Decode the first audio track of `path` into windows of about `window_s` seconds.

    Timestamps stay true to the media: a gap in the stream (or packets that fail to decode) is
    filled with silence rather than pulling later audio earlier. Undecodable packets are skipped
    and counted; a stream where most packets fail is a MediaError.
    """
    import av

    window = int(window_s * SAMPLE_RATE)
    search = min(int(_QUIET_SEARCH_S * SAMPLE_RATE), window // 2)
    pending: list[np.ndarray] = []
    pending_len = 0
    offset = 0  # samples handed out so far
    packets = bad = 0
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as exc:
        raise _unreadable(path, exc) from None
    with container:
        if not container.streams.audio:
            raise MediaError(
                "no audio stream", where=str(path), fix="pass a file with an audio track"
            )
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        try:
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue
                packets += 1
                try:
                    frames = packet.decode()
                except av.error.FFmpegError:
                    bad += 1
                    continue
                for frame in frames:
                    if frame.time is not None:
                        gap = int((frame.time - _GAP_TOLERANCE_S) * SAMPLE_RATE) - (
                            offset + pending_len
                        )
                        if gap > 0:
                            pending.append(
                                np.zeros(gap + int(_GAP_TOLERANCE_S * SAMPLE_RATE), np.float32)
                            )
                            pending_len += len(pending[-1])
                    for mono in resampler.resample(frame):
                        pending.append(mono.to_ndarray().reshape(-1))
                        pending_len += len(pending[-1])
                while pending_len >= window + search:
                    samples = np.concatenate(pending)
                    cut = quiet_cut(samples[: window + search], window - search)
                    yield AudioWindow(offset / SAMPLE_RATE, samples[:cut])
                    offset += cut
                    pending, pending_len = [samples[cut:]], len(samples) - cut
            for mono in resampler.resample(None):
                pending.append(mono.to_ndarray().reshape(-1))
                pending_len += len(pending[-1])
        except av.error.FFmpegError as exc:
            raise _unreadable(path, exc) from None
    if packets and bad / packets > _MAX_BAD_PACKET_SHARE:
        raise MediaError(
            f"the audio stream is corrupt: {bad} of {packets} packets could not be decoded",
            where=str(path),
            fix="re-encode or re-download the file (e.g. ffmpeg -i IN -c:a aac OUT.m4a)",
        )
    if bad and log is not None:
        log.warning(
            "%s: skipped %d of %d undecodable audio packets (replaced by silence)",
            path,
            bad,
            packets,
        )
    if pending_len:
        yield AudioWindow(offset / SAMPLE_RATE, np.concatenate(pending))


def _unreadable(path: Path, exc: Exception) -> MediaError:
    return MediaError(
        f"cannot decode the audio track ({getattr(exc, 'strerror', None) or exc})",
        where=str(path),
        fix="re-encode the file, e.g. ffmpeg -i IN -c:a aac OUT.m4a",
    )
