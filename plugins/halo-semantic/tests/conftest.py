"""Shared fixtures: the bundled model (loaded once per session) and the sample lecture transcript.

The transcript comes from samples/lecture/truth.json (the sentences the generator spoke, with their
times), so topic tests measure segmentation, not speech recognition.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from halo_semantic import SentenceTransformersEmbedder

from halo_core import Media, Timeline, TranscriptSegment
from halo_core.media import probe

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "lecture"


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformersEmbedder:
    return SentenceTransformersEmbedder()


@pytest.fixture(scope="session")
def truth() -> dict[str, Any]:
    return json.loads((SAMPLE / "truth.json").read_text())


def transcript_of(truth: dict[str, Any]) -> list[TranscriptSegment]:
    return [
        TranscriptSegment(start=s["start"], end=s["end"], text=s["text"])
        for s in truth["sentences"]
    ]


@pytest.fixture(scope="session")
def lecture(truth: dict[str, Any]) -> tuple[Media, Timeline]:
    media = probe(SAMPLE / "lecture.mp4")
    return media, Timeline(duration=media.duration).with_track("transcript", transcript_of(truth))
