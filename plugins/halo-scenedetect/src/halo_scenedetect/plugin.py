"""The `halo` entry point of this distribution: registers its extractors."""

from __future__ import annotations

from typing import Any

from halo_core import hookimpl

from .scenedetect_extractor import SceneDetect
from .transnet_extractor import TransNetV2Extractor


@hookimpl
def register_extractors(register: Any) -> None:
    register(SceneDetect)
    register(TransNetV2Extractor)
