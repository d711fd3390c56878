"""Shared fixtures: committed media clips (see fixtures/README.md for how each was made) and
transcripts computed once per session with the bundled model."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
from halo_whisper.faster import FasterWhisper

from halo_core import Media, RunContext, Timeline, TranscriptSegment, probe

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(os.environ.get("HALO_SHARED", Path(__file__).parents[4] / "shared"))
"""../shared beside the checkout (CI has it); HALO_SHARED names it from a worktree."""
MEETINGS = SHARED / "media" / "real-meetings"
"""Two real 30 s AMI meeting clips with human RTTM (CC BY 4.0; see its README)."""
LECTURE_TRUTH = Path(__file__).parents[3] / "samples" / "lecture" / "truth.json"
LECTURE = LECTURE_TRUTH.with_name("lecture.mp4")
CLIP_START = 123.9
"""lecture_question.m4a is samples/lecture/lecture.mp4 from 123.9 s to 148.8 s."""


def clip_sentences() -> list[dict]:
    """truth.json sentences inside lecture_question.m4a, on the clip's clock."""
    sentences = json.loads(LECTURE_TRUTH.read_text())["sentences"]
    return [
        {**s, "start": s["start"] - CLIP_START, "end": s["end"] - CLIP_START}
        for s in sentences
        if s["start"] >= CLIP_START
    ]


def run(extractor, media: Media, timeline: Timeline | None = None, ctx: RunContext | None = None):
    return extractor.extract(
        media, timeline or Timeline(duration=media.duration), ctx or RunContext()
    )


@pytest.fixture(scope="session")
def clip() -> Media:
    return probe(FIXTURES / "lecture_question.m4a")


@pytest.fixture(scope="session")
def sample() -> Media:
    return probe(FIXTURES / "sample.flac")


@pytest.fixture(scope="session")
def clip_transcript(clip: Media) -> list[TranscriptSegment]:
    return run(FasterWhisper(), clip)


@pytest.fixture(scope="session")
def sample_transcript(sample: Media) -> list[TranscriptSegment]:
    return run(FasterWhisper(), sample)


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="halo")
    return caplog
