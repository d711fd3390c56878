"""Extractor `pyannote`: pyannote.audio's speaker-diarization pipeline (an install extra).

pyannote.audio 3.x/4.x imports torchaudio (and torchcodec in 4.x); where only CUDA-linked wheels
of those exist for the installed torch, the import fails even though pip installed it. `check()`
imports it once (cheap next to a diarization run) so `halo validate` reports that before any work.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from pydantic import Field

from halo_core import (
    ComponentConfig,
    ComponentUnavailable,
    Extractor,
    Media,
    ModelCache,
    RunContext,
    SpeakerTurn,
    Timeline,
)

from .audio import require_audio, stream_windows
from .diarization import DIARIZATION_REQUIRES, speaker_name
from .voice_clusters import enrolment_identity, enrolment_problems, name_turns

_INSTALL = 'pip install "halo-whisper[pyannote]"'
_pipelines: ModelCache[tuple[str, str | None], Any] = ModelCache()


class PyannoteConfig(ComponentConfig):
    model: str = Field(
        default="pyannote/speaker-diarization-3.1",
        description="a Hugging Face pipeline id (needs HF_TOKEN and accepting its terms) or a "
        "local folder/config.yaml of a downloaded pipeline",
    )
    num_speakers: int | None = Field(
        default=None, ge=1, description="how many speakers; None estimates it"
    )
    min_speakers: int | None = Field(default=None, ge=1, description="lower bound when estimating")
    max_speakers: int | None = Field(default=None, ge=1, description="upper bound when estimating")
    names: dict[str, Path] = Field(
        default_factory=dict,
        description="enrolment: a speaker's name -> an audio file of that voice alone; matched "
        "with voice-clusters' voice encoder, as there",
    )


@functools.cache
def import_problem() -> str | None:
    """Why pyannote.audio cannot be imported here, with what to do; None when it imports."""
    os.environ.setdefault(
        "PYANNOTE_METRICS_ENABLED", "0"
    )  # pyannote sends telemetry unless told not to
    try:
        import pyannote.audio  # noqa: F401
    except ModuleNotFoundError as exc:
        if (exc.name or "").startswith("pyannote"):
            return f"pyannote.audio is not installed: {_INSTALL}"
        return _broken(exc)
    except (ImportError, OSError, RuntimeError) as exc:
        return _broken(exc)
    return None


def _broken(exc: BaseException) -> str:
    import torch

    return (
        f"pyannote.audio is installed but cannot be imported ({type(exc).__name__}: "
        f"{str(exc)[:200]}). "
        f"It needs torchaudio (and, from pyannote.audio 4, torchcodec) built for this torch "
        f"({torch.__version__}); the wheels found here are CUDA-linked. Install matching CPU "
        f"builds, e.g. pip install torchaudio=={torch.__version__.split('+')[0]} --index-url "
        f"https://download.pytorch.org/whl/cpu, or use the offline `voice-clusters` extractor"
    )


def _is_local(model: str) -> bool:
    return Path(model).expanduser().exists()


class Pyannote(Extractor[PyannoteConfig]):
    name = "pyannote"
    version = "1"
    Config = PyannoteConfig
    provides = "speakers"
    requires = DIARIZATION_REQUIRES
    media_needs = frozenset({"audio"})
    description = (
        "Who speaks when, with pyannote.audio's pretrained pipeline (local path or HF_TOKEN)."
    )

    def check(self) -> list[str]:
        problems = [p for p in [import_problem()] if p]
        if not _is_local(self.config.model) and not os.environ.get("HF_TOKEN"):
            problems.append(
                f"pyannote model {self.config.model!r} is not a local path and HF_TOKEN is not "
                "set: set HF_TOKEN "
                "to a Hugging Face token that accepted the model's terms, or point `model` at a "
                "downloaded pipeline"
            )
        return problems + enrolment_problems(self.config.names)

    def identity(self) -> dict[str, Any]:
        """The enrolment samples count by content, not by path."""
        return {**super().identity(), "enrolment": enrolment_identity(self.config.names)}

    def extract(self, media: Media, timeline: Timeline, ctx: RunContext) -> list[Any]:
        require_audio(media, self.name)
        problems = self.check()
        if problems:
            raise ComponentUnavailable(
                "; ".join(problems),
                where=f"extractor {self.name}",
                fix="see above, or use `voice-clusters`",
            )
        import numpy as np
        import torch

        waveform = np.concatenate([w.samples for w in stream_windows(media.path, 300.0, ctx.log)])
        options = {
            k: v
            for k, v in self.config.model_dump().items()
            if k not in ("model", "names") and v is not None
        }
        result = self._pipeline()(
            {"waveform": torch.from_numpy(waveform)[None], "sample_rate": 16_000}, **options
        )
        annotation = getattr(result, "speaker_diarization", result)  # 4.x wraps the annotation
        names: dict[str, str] = {}
        turns = [
            SpeakerTurn(
                start=seg.start,
                end=seg.end,
                speaker=names.setdefault(label, speaker_name(len(names))),
            )
            for seg, _, label in annotation.itertracks(yield_label=True)
        ]
        if self.config.names:
            turns = name_turns(turns, waveform, self.config.names, ctx)
        ctx.progress(media.duration, media.duration)
        return turns

    def _pipeline(self) -> Any:
        from pyannote.audio import Pipeline

        def load() -> Any:
            token = None if _is_local(self.config.model) else os.environ["HF_TOKEN"]
            return Pipeline.from_pretrained(self.config.model, token=token)

        return _pipelines.get((self.config.model, os.environ.get("HF_TOKEN")), load)
