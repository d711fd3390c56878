"""Constants and helpers the tests share (a uniquely named module: plugin test folders share
one interpreter when all plugins are tested together)."""

from __future__ import annotations

from pathlib import Path

import pytest

from halo_core import Extractor, Media, RunContext, Scene, Timeline

FIXTURES = Path(__file__).parent / "fixtures"

# see fixtures/README.md: slide changes in lecture-clip.mp4 (two text-only, one new topic)
CLIP_CUTS = [2.6, 17.1, 31.5]
TOPIC_CUT = 6.5  # lecture-topic-cut.mp4
FRAME = 0.1  # both clips are 10 fps


def run(extractor: Extractor, media: Media, ctx: RunContext) -> list[Scene]:
    return extractor.extract(media, Timeline(duration=media.duration), ctx)


def assert_tiles(scenes: list[Scene], duration: float) -> None:
    assert scenes[0].start == 0 and scenes[0].score == 1
    assert scenes[-1].end == pytest.approx(duration, abs=0.11)
    for a, b in zip(scenes, scenes[1:]):
        assert a.end == b.start
    for scene in scenes:
        assert 0 <= scene.score <= 1
        assert scene.start <= scene.keyframe <= scene.end
