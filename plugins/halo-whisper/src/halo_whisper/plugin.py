"""HALO entry point of halo-whisper: registers its extractor classes (no heavy imports)."""

from __future__ import annotations

from typing import Any

from halo_core import hookimpl

from .faster import FasterWhisper
from .openai_whisper import OpenAIWhisper
from .pyannote_diarizer import Pyannote
from .voice_clusters import VoiceClusters


@hookimpl
def register_extractors(register: Any) -> None:
    for extractor in (FasterWhisper, OpenAIWhisper, VoiceClusters, Pyannote):
        register(extractor)
