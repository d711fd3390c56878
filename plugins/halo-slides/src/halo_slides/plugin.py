"""The `halo` entry point of this distribution: registers the `slides` extractor."""

from __future__ import annotations

from typing import Any

from halo_core import hookimpl

from .extractor import SlidesExtractor


@hookimpl
def register_extractors(register: Any) -> None:
    register(SlidesExtractor)
