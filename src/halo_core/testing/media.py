"""Small real media files for tests, written with PyAV (a core dependency): no fixtures to commit.

`tone(path)` has one audio stream and no video; `blank_video(path)` one video stream and no audio.
Both return the probed `Media` (`halo_core.probe` gives the `Media` of any other file).
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from ..media import probe
from ..model import Media

SAMPLE_RATE = 16_000


def tone(path: Path, seconds: float = 2.0, hz: float = 440.0) -> Media:
    """A mono 16 kHz WAV of a sine tone (audio only)."""
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    samples = (0.3 * 32767 * np.sin(2 * np.pi * hz * t)).astype(np.int16)
    with av.open(str(path), "w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=SAMPLE_RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return probe(path)


def blank_video(path: Path, seconds: float = 2.0, fps: int = 10) -> Media:
    """A 64x48 MPEG-4 video of grey frames, with no audio stream."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        grey = np.full((48, 64, 3), 128, dtype=np.uint8)
        for _ in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(grey, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return probe(path)
