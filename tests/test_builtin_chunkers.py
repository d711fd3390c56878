"""The `rules` and `fixed` chunkers on hand-built timelines with known right answers."""

from __future__ import annotations

import json
from pathlib import Path

import pydantic
import pytest

from halo_core import (
    RunContext,
    Scene,
    SlideText,
    SpeakerTurn,
    Timeline,
    TopicSegment,
    TranscriptSegment,
    Word,
)
from halo_core.builtins.chunkers import FixedChunker, RulesChunker
from halo_core.builtins.subtitles import SubtitlesExtractor
from halo_core.chunking import boundary_f1, build_chunks, candidates
from halo_core.media import probe
from halo_core.plugins import get_registry
from halo_core.testing.chunker_contract import run_chunker


def lecture(
    topics: int = 3, sentences: int = 8, topic_pause: float = 2.5
) -> tuple[Timeline, list[float]]:
    """`topics` topics of `sentences` 6-second sentences, 0.4 s pauses, longer between topics;
    and where each topic starts (the middle of the pause before it)."""
    segments, t, starts = [], 1.0, []
    for k in range(topics):
        starts.append(t - (topic_pause / 2 if k else t))
        for i in range(sentences):
            segments.append(
                TranscriptSegment(start=t, end=t + 6, text=f"Topic {k} point {i} here.")
            )
            t += 6 + (0.4 if i < sentences - 1 else topic_pause)
    return Timeline(duration=t).with_track("transcript", segments), starts


def reason_kinds(chunk) -> set[str]:  # type: ignore[no-untyped-def]
    return {r.kind for r in chunk.opened_by.reasons}


def test_transcript_only_cuts_at_the_long_pauses() -> None:
    timeline, starts = lecture()
    chunks = run_chunker(
        RulesChunker.from_options({"min_duration": 20}), timeline, timeline.duration
    )
    assert boundary_f1([c.start for c in chunks[1:]], starts[1:], 1.0)[2] == 1.0
    assert all("pause" in reason_kinds(c) for c in chunks[1:])
    assert chunks[1].opened_by.reasons[0].detail == "2.50 s pause"


def test_scenes_and_topics_place_cuts_when_pauses_are_uniform() -> None:
    timeline, starts = lecture(topic_pause=0.4)  # pauses say nothing here
    d = timeline.duration
    scene_starts = [0.0, starts[1], starts[2]]
    timeline = timeline.with_track(
        "scenes",
        [
            Scene(start=a, end=b, keyframe=a, score=0.9)
            for a, b in zip(scene_starts, [*scene_starts[1:], d], strict=True)
        ],
    )
    topic_starts = [0.0, starts[1] + 0.5, starts[2] - 0.5]
    timeline = timeline.with_track(
        "topics",
        [
            TopicSegment(start=a, end=b, label=f"t{i}")
            for i, (a, b) in enumerate(zip(topic_starts, [*topic_starts[1:], d], strict=True))
        ],
    )
    chunks = run_chunker(RulesChunker.from_options({"min_duration": 20}), timeline, d)
    assert [round(c.start, 1) for c in chunks[1:]] == [round(s, 1) for s in starts[1:]]
    for chunk in chunks[1:]:
        assert {"scene", "topic", "pause"} <= reason_kinds(chunk)
    assert [c.topics[0] for c in chunks] == ["t0", "t0", "t2"]  # topics overlapping each chunk
    assert "t1" in chunks[1].topics and chunks[0].topics == ["t0"]
    assert chunks[1].scene_cuts == [starts[1]]


def test_a_slide_with_a_new_heading_is_a_topic_shift() -> None:
    timeline, starts = lecture(topic_pause=0.4)  # pauses say nothing here
    d = timeline.duration
    headings = ["Photosynthesis", "Photosynthesis", "Scales", "Inflation"]
    shown = [0.0, 20.0, starts[1] + 0.3, starts[2] - 0.3]  # a same-heading slide change at 20 s
    slides = [
        SlideText(start=a, end=b, text=f"{h}\npoint", heading=h)
        for h, a, b in zip(headings, shown, [*shown[1:], d], strict=True)
    ]
    chunks = run_chunker(
        RulesChunker.from_options({"min_duration": 20}), timeline.with_track("slides", slides), d
    )
    assert [round(c.start, 1) for c in chunks[1:]] == [round(s, 1) for s in starts[1:]]
    assert all("topic" in reason_kinds(c) for c in chunks[1:])


def test_a_silent_slide_deck_is_chunked_with_the_slides_text() -> None:
    slides = [
        SlideText(start=0, end=70, text="Gutenberg\nMainz, around 1450", heading="Gutenberg"),
        SlideText(start=70, end=130, text="Gutenberg\nMovable metal type", heading="Gutenberg"),
        SlideText(start=130, end=200, text="Okazaki fragments\nLagging strand", heading="DNA"),
    ]
    scenes = [Scene(start=a, end=b, keyframe=a, score=0.9) for a, b in ((0, 130), (130, 200))]
    timeline = Timeline(duration=200).with_track("slides", slides).with_track("scenes", scenes)
    chunks = run_chunker(RulesChunker(), timeline, 200)
    assert [c.start for c in chunks] == [0, 130]
    assert chunks[0].text == "Gutenberg\nMainz, around 1450\nMovable metal type"
    assert chunks[1].text == "Okazaki fragments\nLagging strand" and chunks[1].word_count == 4


def test_speaker_turns_alone_mark_boundaries() -> None:
    turns = [
        SpeakerTurn(start=0, end=100, speaker="A"),
        SpeakerTurn(start=101, end=190, speaker="B"),
    ]
    timeline = Timeline(duration=200).with_track("speakers", turns)
    chunks = run_chunker(RulesChunker(), timeline, 200)
    assert [c.start for c in chunks[1:]] == [100.5]
    assert reason_kinds(chunks[1]) == {"speaker"}
    assert chunks[0].speakers == ["A"] and chunks[1].speakers == ["B"]


def test_silent_video_cuts_at_strong_scene_cuts_only() -> None:
    cuts = [(0.0, 1.0), (120.0, 0.9), (125.0, 0.1), (260.0, 0.8)]
    scenes = [
        Scene(start=a, end=b, keyframe=a, score=s)
        for (a, s), (b, _) in zip(cuts, [*cuts[1:], (400.0, 0)], strict=True)
    ]
    timeline = Timeline(duration=400).with_track("scenes", scenes)
    chunks = run_chunker(RulesChunker(), timeline, 400)
    assert [c.start for c in chunks[1:]] == [120.0, 260.0]
    assert all(c.text == "" for c in chunks)


def test_a_long_sentence_free_stretch_is_cut_at_word_gaps_with_the_reason() -> None:
    words = [Word(start=i, end=i + 0.9, text="word") for i in range(400)]
    words[-1] = Word(start=399, end=399.9, text="end.")
    timeline = Timeline(duration=420).with_track(
        "transcript",
        [TranscriptSegment(start=0, end=399.9, text="word " * 399 + "end.", words=words)],
    )
    chunks = run_chunker(RulesChunker.from_options({"max_duration": 300}), timeline, 420)
    assert all(c.end - c.start <= 300 for c in chunks)
    forced = [c for c in chunks[1:] if "max_duration" in reason_kinds(c)]
    assert forced
    for chunk in forced:
        assert chunk.start % 1 == pytest.approx(0.95)  # in the gap between two words
    assert sum(c.word_count for c in chunks) == 400


def test_token_bound_forces_cuts_between_sentences() -> None:
    timeline, _ = lecture(topics=1, sentences=40)
    chunks = run_chunker(
        RulesChunker.from_options({"max_tokens": 40, "min_duration": 0}),
        timeline,
        timeline.duration,
    )
    assert all(c.token_estimate <= 40 for c in chunks)
    allowed = {c.time for c in candidates(timeline, timeline.duration)}
    assert all(c.start in allowed for c in chunks[1:])
    assert any(reason_kinds(c) & {"max_tokens"} for c in chunks[1:])


def test_weights_choose_the_signal() -> None:
    timeline, starts = lecture(topic_pause=2.5)
    d = timeline.duration
    topic_at = [0.0, 40.0]  # disagrees with the pauses
    timeline = timeline.with_track(
        "topics",
        [
            TopicSegment(start=a, end=b, label=f"t{i}")
            for i, (a, b) in enumerate(zip(topic_at, [40.0, d], strict=True))
        ],
    )
    only_topics = RulesChunker.from_options({"weights": {"topic": 1.0}, "min_duration": 10})
    cuts = [c.start for c in run_chunker(only_topics, timeline, d)[1:]]
    assert len(cuts) == 1 and abs(cuts[0] - 40.0) < 3.0
    only_pauses = RulesChunker.from_options({"weights": {"pause": 1.0}, "min_duration": 10})
    cuts = [c.start for c in run_chunker(only_pauses, timeline, d)[1:]]
    assert boundary_f1(cuts, starts[1:], 1.0)[2] == 1.0


def test_config_is_validated() -> None:
    with pytest.raises(pydantic.ValidationError, match="min_duration"):
        RulesChunker.from_options({"min_duration": 100, "max_duration": 50})
    with pytest.raises(pydantic.ValidationError):
        RulesChunker.from_options({"max_duraton": 50})
    with pytest.raises(pydantic.ValidationError):
        RulesChunker.from_options({"weights": {"color": 1.0}})


def test_fixed_windows_snap_to_sentence_ends() -> None:
    timeline, _ = lecture(topics=2, sentences=10)
    d = timeline.duration
    snapped = run_chunker(FixedChunker.from_options({"duration": 30}), timeline, d)
    allowed = {c.time for c in candidates(timeline, d)}
    assert all(c.start in allowed and abs(c.start - 30 * c.index) <= 15 for c in snapped[1:])
    assert all(reason_kinds(c) == {"fixed"} for c in snapped[1:])
    raw = run_chunker(FixedChunker.from_options({"duration": 30, "snap": False}), timeline, d)
    assert [c.start for c in raw[1:]] == [30.0 * k for k in range(1, len(raw))]


def test_build_chunks_rejects_unordered_cuts() -> None:
    with pytest.raises(ValueError, match="increase"):
        build_chunks(Timeline(duration=10), 10.0, [5.0, 3.0], {})


def test_registered_as_builtins() -> None:
    registry = get_registry()
    assert registry.get("chunker", "rules").cls is RulesChunker
    assert registry.get("chunker", "fixed").cls is FixedChunker


def test_sample_lecture_subtitles_to_rules_chunks(sample_dir: Path) -> None:
    media = probe(sample_dir / "lecture.mp4")
    segments = SubtitlesExtractor().extract(media, Timeline(duration=media.duration), RunContext())
    timeline = Timeline(duration=media.duration).with_track("transcript", segments)
    chunks = RulesChunker().chunk(timeline, media, RunContext())
    truth = json.loads((sample_dir / "truth.json").read_text())["topics"]
    content_starts = [t["start"] for t in truth[1:]]  # the first topic follows a 2.8 s title card
    assert boundary_f1([c.start for c in chunks[1:]], content_starts, 5.0) == (1.0, 1.0, 1.0)
    assert sum(c.word_count for c in chunks) == sum(len(s.text.split()) for s in segments)
