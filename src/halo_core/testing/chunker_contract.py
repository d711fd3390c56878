"""The contract every chunker honours, as a test suite to subclass.

Override the `make_chunker` fixture: it returns a factory `make(**options)` building the chunker
from config options (no options: its defaults). `max_examples` bounds the random timelines tried.

    class TestMyChunker(ChunkerContract):
        max_examples = 30

        @pytest.fixture
        def make_chunker(self):
            return lambda **options: MyChunker.from_options(options)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from ..components import Chunker
from ..context import RunContext
from ..model import Chunk, Media, Scene, Timeline, TranscriptSegment
from .timelines import (
    GeneratedTimeline,
    assert_boundaries_explained,
    assert_no_cut_inside_sentences,
    assert_tiles,
    assert_words_once,
    generated_timelines,
)

MakeChunker = Callable[..., Chunker[Any]]


def media_of(duration: float) -> Media:
    return Media(path=Path("generated.mp4"), sha256="0" * 64, size_bytes=1, duration=duration)


def run_chunker(chunker: Chunker[Any], timeline: Timeline, duration: float) -> list[Chunk]:
    return chunker.chunk(timeline, media_of(duration), RunContext())


class ChunkerContract:
    max_examples = 30

    @pytest.fixture
    def make_chunker(self) -> MakeChunker:
        raise NotImplementedError("override the make_chunker fixture in your test class")

    def test_invariants_on_random_timelines(self, make_chunker: MakeChunker) -> None:
        chunker = make_chunker()

        @settings(
            max_examples=self.max_examples,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(generated_timelines())
        def check(generated: GeneratedTimeline) -> None:
            chunks = run_chunker(chunker, generated.timeline, generated.duration)
            assert_tiles(chunks, generated.duration)
            assert_words_once(chunks, generated)
            assert_no_cut_inside_sentences(chunks, generated)
            assert_boundaries_explained(chunks)

        check()

    def test_deterministic(self, make_chunker: MakeChunker) -> None:
        timeline = _two_topic_lecture()
        first = run_chunker(make_chunker(), timeline, timeline.duration)
        again = run_chunker(make_chunker(), timeline, timeline.duration)
        assert [c.model_dump() for c in first] == [c.model_dump() for c in again]

    def test_empty_timeline_is_one_chunk(self, make_chunker: MakeChunker) -> None:
        chunks = run_chunker(make_chunker(), Timeline(duration=42.0), 42.0)
        assert [(c.start, c.end, c.text) for c in chunks] == [(0.0, 42.0, "")]

    def test_silent_video_with_scenes(self, make_chunker: MakeChunker) -> None:
        duration = 900.0
        starts = [0.0, 200.0, 410.0, 640.0]
        scenes = [
            Scene(start=a, end=b, keyframe=a, score=1.0)
            for a, b in zip(starts, [*starts[1:], duration], strict=True)
        ]
        chunks = run_chunker(
            make_chunker(), Timeline(duration=duration).with_track("scenes", scenes), duration
        )
        assert_tiles(chunks, duration)
        assert all(c.text == "" for c in chunks)

    def test_chunk_text_and_fields(self, make_chunker: MakeChunker) -> None:
        timeline = _two_topic_lecture()
        chunks = run_chunker(make_chunker(), timeline, timeline.duration)
        assert_tiles(chunks, timeline.duration)
        for chunk in chunks:
            assert chunk.token_estimate == -(-len(chunk.text) // 4)
            assert chunk.word_count == len(chunk.text.split())


def _two_topic_lecture() -> Timeline:
    """A 10-minute transcript of two 5-minute topics separated by a long pause."""
    segments = []
    t = 1.0
    for topic in ("tides and the moon", "printing with movable type"):
        for i in range(30):
            text = f"Sentence {i} about {topic} goes on for a while."
            segments.append(TranscriptSegment(start=t, end=t + 8.5, text=text))
            t += 9.0
        t += 30.0
    return Timeline(duration=t + 5).with_track("transcript", segments)
