"""Shared fixtures: the bundled model (loaded once per session) and the sample lecture transcript.

The transcript comes from the sample's lecture.srt (exact cue times), so topic tests measure
segmentation, not speech recognition; truth.json holds the topics to compare with.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from halo_semantic import SentenceTransformersEmbedder

from halo_core import Media, RunContext, Timeline, get_registry, probe

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "lecture"


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformersEmbedder:
    return SentenceTransformersEmbedder()


@pytest.fixture(scope="session")
def truth() -> dict[str, Any]:
    return json.loads((SAMPLE / "truth.json").read_text())


@pytest.fixture(scope="session")
def lecture() -> tuple[Media, Timeline]:
    """The sample lecture, its transcript read from lecture.srt by the `subtitles` extractor."""
    media = probe(SAMPLE / "lecture.mp4")
    empty = Timeline(duration=media.duration)
    transcript = get_registry().build("extractor", "subtitles").extract(media, empty, RunContext())
    return media, empty.with_track("transcript", transcript)
