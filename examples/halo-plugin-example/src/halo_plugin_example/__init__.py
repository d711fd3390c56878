"""An extractor that measures audio loudness (RMS, in dBFS) over fixed windows.

Copy this package to start a plugin: one component class, one hook, one entry point.
"""

from __future__ import annotations

import math
from typing import Any

import av
import numpy as np
from pydantic import Field

from halo_core import (
    ComponentConfig,
    Extractor,
    Media,
    MediaError,
    Register,
    RunContext,
    Signal,
    Timeline,
    hookimpl,
)

SILENCE_DBFS = -120.0


class LoudnessConfig(ComponentConfig):
    window: float = Field(default=1.0, gt=0, description="window length in seconds")


class Loudness(Extractor[LoudnessConfig]):
    name = "loudness"
    version = "1"
    Config = LoudnessConfig
    provides = "loudness"
    media_needs = frozenset({"audio"})
    description = "RMS loudness of the audio track per window, in dBFS."

    def extract(self, media: Media, timeline: Timeline, ctx: RunContext) -> list[Any]:
        if not media.has_audio:
            raise MediaError(
                "no audio stream to measure",
                where=str(media.path),
                fix="pass a file with an audio track, or remove the `loudness` extractor",
            )
        rate = 16_000
        samples_per_window = max(1, round(self.config.window * rate))
        pending = np.zeros(0, dtype=np.float32)
        signals: list[Signal] = []
        try:
            with av.open(str(media.path)) as container:
                resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
                for frame in container.decode(audio=0):
                    for mono in resampler.resample(frame):
                        pending = np.concatenate([pending, mono.to_ndarray().reshape(-1)])
                    while len(pending) >= samples_per_window:
                        signals.append(
                            self._window(len(signals), pending[:samples_per_window], rate)
                        )
                        pending = pending[samples_per_window:]
                    ctx.progress(len(signals) * self.config.window, media.duration)
        except av.error.FFmpegError as exc:
            raise MediaError(
                f"cannot decode the audio track ({exc})",
                where=str(media.path),
                fix="re-encode the file, e.g. ffmpeg -i IN -c:a aac OUT.mp4",
            ) from None
        if len(pending):
            signals.append(self._window(len(signals), pending, rate))
        return signals

    def _window(self, index: int, samples: np.ndarray, rate: int) -> Signal:
        rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
        dbfs = 20 * math.log10(rms) if rms > 0 else SILENCE_DBFS
        start = index * self.config.window
        return Signal(start=start, end=start + len(samples) / rate, label="rms_dbfs", value=dbfs)


@hookimpl
def register_extractors(register: Register) -> None:
    register(Loudness)
