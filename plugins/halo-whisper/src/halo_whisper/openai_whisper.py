"""Extractor `openai-whisper`: the reference Whisper implementation (PyTorch), an install extra.

Same contract as `faster-whisper`: transcript segments with word timestamps and confidences,
Silero VAD first (from faster-whisper) so silence is never transcribed, audio streamed with PyAV
in windows (no ffmpeg binary). Weights are a URL download by model name; offline, point `model`
at a local checkpoint (`.pt` holding `dims` and `model_state_dict`).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from halo_core import (
    ComponentConfig,
    ComponentUnavailable,
    Extractor,
    Media,
    ModelCache,
    RunContext,
    Timeline,
    TranscriptSegment,
)

from .audio import SAMPLE_RATE, require_audio, silero_vad, stream_windows
from .faster import to_segment
from .quality import flag_low_confidence

_INSTALL = 'pip install "halo-whisper[openai]"'
_models: ModelCache[tuple[str, str], Any] = ModelCache()


class OpenAIWhisperConfig(ComponentConfig):
    model: str = Field(
        default="tiny.en",
        description="a model name (tiny.en … large-v3, downloaded to ~/.cache/whisper on first "
        "use) or a local checkpoint .pt",
    )
    language: str | None = Field(default=None, description="ISO code such as `en`; None detects it")
    vad: bool = Field(default=True, description="transcribe only what Silero VAD calls speech")
    beam_size: int = Field(default=5, ge=1, description="beam search width")
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="auto picks CUDA when available"
    )
    window_s: float = Field(
        default=120.0,
        ge=30.0,
        description="audio is decoded and transcribed in windows of about this length (seconds)",
    )


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "whisper"


def _is_path(model: str) -> bool:
    return model.endswith(".pt") or os.sep in model


class OpenAIWhisper(Extractor[OpenAIWhisperConfig]):
    name = "openai-whisper"
    version = "2"  # 2: words keep the recogniser's spacing
    Config = OpenAIWhisperConfig
    provides = "transcript"
    media_needs = frozenset({"audio"})
    description = "Speech to text with word timestamps on the reference openai-whisper (PyTorch)."

    def check(self) -> list[str]:
        if importlib.util.find_spec("whisper") is None:
            return [f"openai-whisper is not installed: {_INSTALL}"]
        model = self.config.model
        if _is_path(model):
            return (
                []
                if Path(model).expanduser().is_file()
                else [f"checkpoint {model!r} does not exist"]
            )
        if not (_cache_dir() / f"{model}.pt").is_file() and os.environ.get("HF_HUB_OFFLINE") == "1":
            return [
                f"openai-whisper model {model!r} is not in {_cache_dir()} and this run is "
                "offline: download it "
                'once with internet (python -c "import whisper; '
                f"whisper.load_model('{model}')\"), "
                "or set `model` to a local checkpoint .pt"
            ]
        return []

    def extract(self, media: Media, timeline: Timeline, ctx: RunContext) -> list[Any]:
        require_audio(media, self.name)
        config = self.config
        model, device = self._model()
        segments: list[TranscriptSegment] = []
        for window in stream_windows(media.path, config.window_s, ctx.log):
            if ctx.cancelled.is_set():
                break
            clips = (
                speech_clips(window.samples)
                if config.vad
                else [0.0, len(window.samples) / SAMPLE_RATE]
            )
            if clips:
                result = model.transcribe(
                    window.samples,
                    language=config.language,
                    beam_size=config.beam_size,
                    word_timestamps=True,
                    fp16=device == "cuda",
                    clip_timestamps=clips,
                    verbose=None,
                )
                segments += [
                    to_segment(_Piece(s), window.offset, result.get("language"))
                    for s in result["segments"]
                ]
            ctx.progress(min(window.end, media.duration), media.duration)
        flag_low_confidence(segments, config.model, ctx.log, str(media.path))
        return segments

    def _model(self) -> tuple[Any, str]:
        import torch
        import whisper

        device = self.config.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"

        def load() -> Any:
            try:
                model = whisper.load_model(
                    str(Path(self.config.model).expanduser())
                    if _is_path(self.config.model)
                    else self.config.model,
                    device=device,
                )
            except (OSError, RuntimeError, ValueError) as exc:
                raise ComponentUnavailable(
                    f"cannot load openai-whisper model {self.config.model!r} "
                    f"({type(exc).__name__}: {exc})",
                    where="openai-whisper model",
                    fix="with no internet, set `model` to a local checkpoint .pt (for word "
                    "timestamps, name it like the original, e.g. tiny.en.pt), or use "
                    "`faster-whisper`",
                ) from None
            _set_alignment_heads(model, self.config.model)
            return model

        return _models.get((self.config.model, device), load), device


def _set_alignment_heads(model: Any, configured: str) -> None:
    """A checkpoint loaded from a path gets no alignment heads (word timings would fall back to
    all heads, less precise); take them from the model name the file is called after."""
    import whisper

    name = Path(configured).stem
    if _is_path(configured) and name in whisper._ALIGNMENT_HEADS:
        model.set_alignment_heads(whisper._ALIGNMENT_HEADS[name])


def speech_clips(samples: Any) -> list[float]:
    """Silero VAD speech as openai-whisper's flat `clip_timestamps` [start, end, …] (seconds)."""
    clips: list[float] = []
    for chunk in silero_vad().get_speech_timestamps(samples):
        clips += [chunk["start"] / SAMPLE_RATE, chunk["end"] / SAMPLE_RATE]
    return clips


class _Piece:
    """openai-whisper's segment dict, seen through faster-whisper's Segment attribute names."""

    def __init__(self, segment: dict[str, Any]) -> None:
        self.start, self.end, self.text = segment["start"], segment["end"], segment["text"]
        self.words = [_Word(w) for w in segment.get("words", [])]


class _Word:
    def __init__(self, word: dict[str, Any]) -> None:
        self.start, self.end, self.word, self.probability = (
            word["start"],
            word["end"],
            word["word"],
            word["probability"],
        )
