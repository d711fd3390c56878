"""Hierarchical summaries: chunk (map phase) → section → video."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from hypothesis import given
from hypothesis import strategies as st
from test_resume import load_test_plugin, plugin_dir

from halo_core import (
    Boundary,
    Chunk,
    ComponentConfig,
    LLMBackend,
    LLMRequest,
    LLMResponse,
    Media,
    RunContext,
    SlideText,
    Timeline,
    TopicSegment,
)
from halo_core.builtins.caches import MemoryCache
from halo_core.gateway import LLMGateway
from halo_core.summarize import SECTION_SIZE, parse_reply, section_groups, summarize

__all__ = ["plugin_dir"]

MEDIA = Media(path=Path("/videos/talk.mp4"), sha256="ab" * 32, size_bytes=1, duration=120.0)


def make_chunks(ends: list[float]) -> list[Chunk]:
    chunks, start = [], 0.0
    for index, end in enumerate(ends):
        chunks.append(
            Chunk(
                id=f"c{index:03d}",
                index=index,
                start=start,
                end=end,
                text=f"Chunk {index} talks about subject {index}.",
                opened_by=Boundary(time=start),
                closed_by=Boundary(time=end),
                token_estimate=10,
                speakers=["lecturer", "student"] if index % 2 else ["lecturer"],
                scene_cuts=[start + 1.0],
                topics=[f"topic {index // 4}"],
            )
        )
        start = end
    return chunks


def test_parse_reply_reads_title_paragraph_and_key_points() -> None:
    title, text, points = parse_reply(
        "Title: Ocean tides\nThe moon pulls the sea.\nTwice a day.\n- moon\n* sun\n2) spring tides"
    )
    assert title == "Ocean tides"
    assert text == "The moon pulls the sea. Twice a day."
    assert points == ["moon", "sun", "spring tides"]


def test_parse_reply_accepts_a_bare_paragraph() -> None:
    assert parse_reply("  Just a summary.  ") == ("", "Just a summary.", [])


def test_sections_follow_the_topic_track_when_there_is_one() -> None:
    chunks = make_chunks([10, 20, 30, 40, 50, 60])
    timeline = Timeline(
        duration=60,
        tracks={
            "topics": [
                TopicSegment(start=0, end=22, label="tides"),
                TopicSegment(start=22, end=60, label="volcanoes"),
            ]
        },
    )
    groups = section_groups(chunks, timeline)
    assert [[c.id for c in g] for g in groups] == [
        ["c000", "c001"],
        ["c002", "c003", "c004", "c005"],
    ]


def test_sections_are_the_decks_parts_titled_by_their_slide_headings(plugin_dir: Path) -> None:
    chunks = make_chunks([10, 20, 30, 40, 50, 60])
    slides = [
        SlideText(start=0, end=25, text="Tides\nthe moon", heading="Tides"),
        SlideText(start=25, end=32, text="bare slide"),  # no heading: stays in its part
        SlideText(start=32, end=60, text="Volcanoes\nmagma", heading="Volcanoes"),
    ]
    topics = [TopicSegment(start=0, end=60, label="one topic")]  # the deck says more
    timeline = Timeline(duration=60, tracks={"slides": slides, "topics": topics})
    groups = section_groups(chunks, timeline)
    assert [[c.id for c in g] for g in groups] == [
        ["c000", "c001", "c002"],
        ["c003", "c004", "c005"],
    ]

    backend = load_test_plugin(plugin_dir).Scripted()
    summaries = summarize(
        chunks, timeline, MEDIA, LLMGateway(backend, MemoryCache()), RunContext(), context_id="x"
    )
    assert [s.title for s in summaries.sections] == ["Tides", "Volcanoes"]


@given(
    st.lists(st.floats(min_value=0.5, max_value=50), min_size=1, max_size=40),
    st.lists(st.floats(min_value=1, max_value=100), max_size=6),
)
def test_sections_partition_the_chunks_in_order(
    lengths: list[float], topic_lengths: list[float]
) -> None:
    ends, total = [], 0.0
    for length in lengths:
        total += length
        ends.append(total)
    chunks = make_chunks(ends)
    topics, start = [], 0.0
    for length in topic_lengths:
        topics.append(TopicSegment(start=start, end=start + length, label=f"t{start}"))
        start += length
    timeline = Timeline(duration=total, tracks={"topics": topics} if topics else {})

    groups = section_groups(chunks, timeline)

    assert [c for g in groups for c in g] == chunks
    assert all(groups)
    if not topics:
        assert all(len(g) <= SECTION_SIZE for g in groups)


def test_summarize_asks_chunk_then_section_then_video_with_clips_and_bounded_concurrency(
    plugin_dir: Path,
) -> None:
    plugin: ModuleType = load_test_plugin(plugin_dir)
    backend = plugin.Scripted()
    gateway = LLMGateway(backend, MemoryCache())
    chunks = make_chunks([float(10 * i) for i in range(1, 13)])  # 12 chunks -> 3 sections

    summaries = summarize(
        chunks, Timeline(duration=120), MEDIA, gateway, RunContext(), context_id="media+chunks"
    )

    levels = [r.options["level"] for r in backend.requests]
    assert levels == ["chunk"] * 12 + ["section"] * 3 + ["video"]
    assert 1 < backend.peak <= backend.max_concurrency
    chunk_requests = sorted(
        (r for r in backend.requests if r.options["level"] == "chunk"),
        key=lambda r: r.clips[0].start,
    )
    for chunk, request in zip(chunks, chunk_requests, strict=True):
        assert request.task == "summarize"
        assert request.context == chunk.text
        assert [(c.start, c.end, c.sha256) for c in request.clips] == [
            (chunk.start, chunk.end, MEDIA.sha256)
        ]
        assert request.options["speakers"] == chunk.speakers
        assert request.options["scene_cuts"] == chunk.scene_cuts
        assert request.options["topics"] == chunk.topics
    assert [s.id for s in summaries.chunks] == [c.id for c in chunks]
    assert [s.children for s in summaries.sections] == [
        [c.id for c in chunks[0:5]],
        [c.id for c in chunks[5:10]],
        [c.id for c in chunks[10:12]],
    ]
    assert summaries.video is not None
    assert summaries.video.children == [s.id for s in summaries.sections]
    assert (summaries.video.start, summaries.video.end) == (0.0, 120.0)
    assert summaries.chunks[0].title == "chunk part"
    assert summaries.chunks[0].key_points == ["first point of chunk", "second point"]
    # Each level reads the one below, not the transcript: a section's context holds its chunks'
    # summaries with their time spans.
    section_context = next(r.context for r in backend.requests if r.options["level"] == "section")
    assert "[00:00\u201300:10] chunk part" in section_context


def test_summarizing_again_through_the_same_cache_makes_no_backend_call(plugin_dir: Path) -> None:
    plugin: ModuleType = load_test_plugin(plugin_dir)
    backend, cache = plugin.Scripted(), MemoryCache()
    chunks = make_chunks([30.0, 60.0, 90.0, 120.0])
    first = summarize(
        chunks,
        Timeline(duration=120),
        MEDIA,
        LLMGateway(backend, cache),
        RunContext(),
        context_id="x",
    )
    calls = len(backend.requests)

    again = summarize(
        chunks,
        Timeline(duration=120),
        MEDIA,
        LLMGateway(backend, cache),
        RunContext(),
        context_id="x",
    )

    assert len(backend.requests) == calls
    assert again == first


class BatchOnlyLLM(LLMBackend[ComponentConfig]):
    """Prefers batches: the map phase must come in one `generate_many` call, in chunk order."""

    name = "batch-only"

    def __init__(self, config: ComponentConfig | None = None) -> None:
        super().__init__(config)
        self.batches: list[list[LLMRequest]] = []
        self.single: list[LLMRequest] = []

    @property
    def model(self) -> str:
        return "batch-1"

    @property
    def prefers_batch(self) -> bool:
        return True

    def generate(self, request: LLMRequest) -> LLMResponse:
        self.single.append(request)
        return LLMResponse(text=f"Title: {request.options['level']}\nSummary.", model=self.model)

    def generate_many(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        self.batches.append(list(requests))
        return [
            LLMResponse(text=f"Title: at {r.clips[0].start:g}\nSummary.", model=self.model)
            for r in requests
        ]

    def count_tokens(self, request: LLMRequest) -> int:
        return 1


def test_a_backend_preferring_batches_gets_the_whole_map_phase_in_one_call() -> None:
    backend, cache = BatchOnlyLLM(), MemoryCache()
    chunks = make_chunks([float(10 * i) for i in range(1, 8)])
    done: list[float] = []
    ctx = RunContext(on_progress=lambda stage, d, t: done.append(d))

    summaries = summarize(
        chunks, Timeline(duration=120), MEDIA, LLMGateway(backend, cache), ctx, context_id="x"
    )

    [batch] = backend.batches
    assert [(r.context, r.clips[0].start) for r in batch] == [(c.text, c.start) for c in chunks]
    assert [r.options["level"] for r in backend.single] == ["section", "section", "video"]
    assert [s.title for s in summaries.chunks] == [f"at {c.start:g}" for c in chunks]
    assert done[: len(chunks)] == [c.end for c in chunks]

    summarize(chunks, Timeline(duration=120), MEDIA, LLMGateway(backend, cache), RunContext(),
              context_id="x")  # fmt: skip
    assert len(backend.batches) == 1  # every chunk summary is an L1 hit now
