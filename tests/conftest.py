"""Fixtures shared by the core's tests.

- `sample_dir`: the shipped sample lecture (samples/lecture: lecture.mp4, lecture.srt, truth.json).
- `register_plugin`: register a throwaway plugin (a module, class or object with `@hookimpl`
  methods) on the plugin manager for one test, llm-style; it is unregistered afterwards.
- `toy_components`: registers small throwaway components of every kind (names start with `toy-`),
  so spec tests do not depend on which real components are installed.
- `isolated_env`: clears HALO_* variables for the test, loads built-ins only in subprocesses
  (HALO_LOAD_PLUGINS=""), and returns a setter for more variables.
- `run_halo`: run `python -m halo_core.cli ARGS` in a subprocess (plugin loading is cached per
  process, so tests about loading must use a fresh one).
- `hooks_called`: the HALO hooks called, with at least one implementation, by the tests run so far
  in this session (recorded with pluggy's hook-call monitoring). Tests marked `runs_last` run after
  every other test, so they see them all.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field

from halo_core import (
    CacheBackend,
    Chunker,
    ComponentConfig,
    Embedder,
    Extractor,
    LLMBackend,
    VectorIndex,
    hookimpl,
)
from halo_core.plugins import pm
from halo_core.testing.plugins import registered

REPO = Path(__file__).resolve().parents[1]
_plugin_numbers = itertools.count()
_hooks_called: set[str] = set()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "runs_last: run after every other test of the session")

    def before(hook_name: str, hook_impls: list[Any], kwargs: dict[str, Any]) -> None:
        if hook_impls:
            _hooks_called.add(hook_name)

    def after(outcome: Any, hook_name: str, hook_impls: list[Any], kwargs: dict[str, Any]) -> None:
        return None

    config.add_cleanup(pm.add_hookcall_monitoring(before, after))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("runs_last") is not None)  # stable


@pytest.fixture
def hooks_called() -> set[str]:
    return set(_hooks_called)


@pytest.fixture
def sample_dir() -> Path:
    return REPO / "samples" / "lecture"


@pytest.fixture
def register_plugin() -> Iterator[Callable[..., str]]:
    with contextlib.ExitStack() as stack:

        def register(plugin: Any, name: str | None = None) -> str:
            name = name or f"test-plugin-{next(_plugin_numbers)}"
            return stack.enter_context(registered(plugin, name))

        yield register


# --- throwaway components ------------------------------------------------------------------------


class ToyTranscriptConfig(ComponentConfig):
    language: str = Field(default="en", description="spoken language")
    beam_size: int = Field(default=1, ge=1, description="decoder beam width")


class ToyTranscript(Extractor[ToyTranscriptConfig]):
    name = "toy-transcript"
    Config = ToyTranscriptConfig
    provides = "transcript"


class ToyTopics(Extractor[ComponentConfig]):
    name = "toy-topics"
    provides = "topics"
    requires = ("transcript",)


class ToySpeakerNames(Extractor[ComponentConfig]):
    name = "toy-speaker-names"
    provides = "speaker_names"
    requires = ("speakers",)


class ToyAudio(Extractor[ComponentConfig]):
    name = "toy-audio"
    provides = "loudness"
    media_needs = frozenset({"audio"})


class ToyChicken(Extractor[ComponentConfig]):
    name = "toy-chicken"
    provides = "chicken"
    requires = ("egg",)


class ToyEgg(Extractor[ComponentConfig]):
    name = "toy-egg"
    provides = "egg"
    requires = ("chicken",)


class ToyChunkerConfig(ComponentConfig):
    min_duration: float = Field(default=30.0, ge=0, description="shortest chunk, seconds")
    max_duration: float = Field(default=300.0, gt=0, description="longest chunk, seconds")


class ToyChunker(Chunker[ToyChunkerConfig]):
    name = "toy-chunker"
    Config = ToyChunkerConfig


class ToyEmbedder(Embedder[ComponentConfig]):
    name = "toy-embedder"


class ToyIndex(VectorIndex[ComponentConfig]):
    name = "toy-index"


class ToyCache(CacheBackend[ComponentConfig]):
    name = "toy-cache"


class ToyCloudConfig(ComponentConfig):
    model: str = Field(default="toy-large", description="model name")
    api_key: str | None = Field(default=None, description="the service's API key")


class ToyCloudLLM(LLMBackend[ToyCloudConfig]):
    """An LLM that cannot run without a key, like a real hosted one."""

    name = "toy-cloud"
    Config = ToyCloudConfig

    def check(self) -> list[str]:
        if not self.config.api_key:
            return ["no API key: set `with: {api_key: ${TOY_API_KEY}}` and export TOY_API_KEY"]
        return []


class ToyOfflineLLM(LLMBackend[ComponentConfig]):
    name = "toy-offline"


class ToyPlugin:
    @hookimpl
    def register_extractors(self, register: Callable[[type], None]) -> None:
        for cls in (ToyTranscript, ToyTopics, ToySpeakerNames, ToyAudio, ToyChicken, ToyEgg):
            register(cls)

    @hookimpl
    def register_chunkers(self, register: Callable[[type], None]) -> None:
        register(ToyChunker)

    @hookimpl
    def register_embedders(self, register: Callable[[type], None]) -> None:
        register(ToyEmbedder)

    @hookimpl
    def register_vector_indexes(self, register: Callable[[type], None]) -> None:
        register(ToyIndex)

    @hookimpl
    def register_cache_backends(self, register: Callable[[type], None]) -> None:
        register(ToyCache)

    @hookimpl
    def register_llm_backends(self, register: Callable[[type], None]) -> None:
        register(ToyCloudLLM)
        register(ToyOfflineLLM)


@pytest.fixture
def toy_components(register_plugin: Callable[..., str]) -> str:
    """Register the toy components; returns the plugin's name."""
    return register_plugin(ToyPlugin(), name="toy-components")


TOY_SPEC = """\
version: 1
name: toy
inputs: [MEDIA]
extractors:
  - use: toy-transcript
    with: {language: en}
  - use: toy-topics
chunker: {use: toy-chunker, with: {max_duration: 120}}
embedder: {use: toy-embedder}
index: {use: toy-index}
cache: {use: toy-cache}
llm: {use: toy-offline}
"""


@pytest.fixture
def toy_spec(tmp_path: Path, sample_dir: Path) -> Callable[..., Path]:
    """Write a spec into tmp_path and return its path.

    `text` defaults to TOY_SPEC; `MEDIA` in it becomes `media` (the sample lecture by default);
    each `replace` pair must match; `append` is added at the end.
    """

    def write(text: str = TOY_SPEC, *, media: str | None = None,
              replace: dict[str, str] | None = None, append: str = "",
              name: str = "spec.yaml") -> Path:
        for old, new in (replace or {}).items():
            assert old in text, f"{old!r} is not in the spec"
            text = text.replace(old, new)
        text = text.replace("MEDIA", media or str(sample_dir / "lecture.mp4"))
        path = tmp_path / name
        path.write_text(text + append, encoding="utf-8")
        return path

    return write


# --- environment and subprocesses ----------------------------------------------------------------


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch) -> Callable[..., dict[str, str]]:
    """Clear HALO_* variables; built-ins only for subprocesses. Call to set more (None unsets)."""
    for key in [k for k in os.environ if k.startswith("HALO_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("HALO_LOAD_PLUGINS", "")

    def set_env(**values: str | None) -> dict[str, str]:
        for key, value in values.items():
            if value is None:
                monkeypatch.delenv(key, raising=False)
            else:
                monkeypatch.setenv(key, value)
        return dict(os.environ)

    return set_env


@pytest.fixture
def run_halo() -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            **popen: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "halo_core.cli", *args],
            capture_output=True, text=True, timeout=180, env=env, cwd=cwd, check=False, **popen,
        )

    return run
