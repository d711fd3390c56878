from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from halo_semantic import Topics
from halo_semantic.topics import (
    Shift,
    depth_scores,
    merge_similar,
    pick_shifts,
    segments_from_shifts,
    valleys,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from halo_core import (
    Media,
    RunContext,
    Timeline,
    TopicSegment,
    TranscriptSegment,
    get_registry,
    join_words,
)

TOLERANCE_S = 5.0


def boundaries(topics: list[TopicSegment]) -> list[float]:
    return [t.start for t in topics[1:]]


def assert_tiles(topics: list[TopicSegment], duration: float) -> None:
    assert topics[0].start == 0
    assert topics[-1].end == pytest.approx(duration)
    assert all(a.end == b.start for a, b in zip(topics, topics[1:]))


@pytest.fixture(scope="module")
def lecture_topics(lecture: tuple[Media, Timeline]) -> list[TopicSegment]:
    media, timeline = lecture
    return Topics().extract(media, timeline, RunContext())


def test_boundaries_match_the_lecture_topics(
    lecture_topics: list[TopicSegment], truth: dict[str, Any]
) -> None:
    expected = [t["start"] for t in truth["topics"][1:]]
    found = boundaries(lecture_topics)
    assert len(found) == len(expected)
    for want, got in zip(expected, found):
        assert abs(got - want) <= TOLERANCE_S, (found, expected)


def test_topics_tile_the_media(
    lecture_topics: list[TopicSegment], lecture: tuple[Media, Timeline]
) -> None:
    assert_tiles(lecture_topics, lecture[0].duration)


def test_labels_name_each_topic_as_a_person_would(lecture_topics: list[TopicSegment]) -> None:
    labels = [t.label.lower() for t in lecture_topics]
    assert "tides" in labels[0]
    assert any(word in labels[1] for word in ("dna", "strand", "replication", "helix"))
    words = ("printing", "press", "type", "gutenberg", "metal", "ink")
    assert any(word in labels[2] for word in words)
    # a short noun phrase, not a list of terms ("Strands, replication, called")
    assert all("," not in label and 1 <= len(label.split()) <= 3 for label in labels)


def test_scores_are_shift_depths_in_unit_range(lecture_topics: list[TopicSegment]) -> None:
    assert lecture_topics[0].score == 1.0
    assert all(0.1 < t.score <= 1.0 for t in lecture_topics[1:])


def test_one_topic_talk_stays_whole(lecture: tuple[Media, Timeline], truth: dict[str, Any]) -> None:
    media, timeline = lecture
    first = truth["topics"][0]
    tides = [s for s in timeline.track("transcript") if s.end <= first["end"]]
    topics = Topics().extract(
        media, Timeline(duration=media.duration).with_track("transcript", tides), RunContext()
    )
    assert len(topics) == 1
    assert_tiles(topics, media.duration)
    assert "tides" in topics[0].label.lower()


def test_a_seconds_window_finds_the_same_boundaries(
    lecture: tuple[Media, Timeline], truth: dict[str, Any]
) -> None:
    media, timeline = lecture
    topics = Topics.from_options({"window": 20, "window_unit": "seconds"}).extract(
        media, timeline, RunContext()
    )
    expected = [t["start"] for t in truth["topics"][1:]]
    assert len(boundaries(topics)) == len(expected)
    assert all(abs(a - b) <= TOLERANCE_S for a, b in zip(boundaries(topics), expected))


def test_min_duration_bounds_every_topic(lecture: tuple[Media, Timeline]) -> None:
    media, timeline = lecture
    # The true boundaries (51.5 s, 98.6 s) are 47 s apart: only the deeper one can stay.
    topics = Topics.from_options({"min_duration": 50}).extract(media, timeline, RunContext())
    assert all(t.duration >= 50 for t in topics)
    assert len(topics) == 2


@pytest.mark.parametrize("texts", [[], ["Only one sentence here."]])
def test_too_little_transcript_is_one_unlabelled_or_plain_topic(
    lecture: tuple[Media, Timeline], texts: list[str]
) -> None:
    media, _ = lecture
    segments = [TranscriptSegment(start=5.0 + i, end=6.0 + i, text=t) for i, t in enumerate(texts)]
    topics = Topics().extract(
        media, Timeline(duration=media.duration).with_track("transcript", segments), RunContext()
    )
    assert len(topics) == 1
    assert_tiles(topics, media.duration)
    assert topics[0].label == ("Sentence" if texts else "")


def test_shifts_outside_the_media_are_ignored() -> None:
    times, depths = np.array([5.0, 50.0, 120.0]), np.array([1.0, 0.9, 1.5])
    shifts = pick_shifts(times, depths, np.arange(3), -1.0, 0.0, 0.0, 100.0)
    assert [s.time for s in shifts] == [5.0, 50.0]


def test_progress_is_reported_in_media_seconds(lecture: tuple[Media, Timeline]) -> None:
    media, timeline = lecture
    reports: list[tuple[str, float, float | None]] = []
    ctx = RunContext(stage="topics", on_progress=lambda *report: reports.append(report))
    Topics().extract(media, timeline, ctx)
    assert reports and reports[-1][0] == "topics"
    assert all(0 < done <= total == media.duration for _, done, total in reports)


def test_neighbours_about_the_same_subject_are_merged() -> None:
    units = [
        TranscriptSegment(start=t, end=t + 1, text="some words") for t in (1, 3, 11, 13, 21, 23)
    ]
    a, b = np.eye(4, dtype=np.float32)[:2]
    vectors = np.vstack([a, a, b, b * 0.9 + a * 0.1, b, b])
    shifts = [Shift(10, 0.9), Shift(20, 0.8), Shift(30, 0.7)]  # 30: a segment with no speech
    assert [s.time for s in merge_similar(shifts, units, vectors, 0.5)] == [10]
    assert [s.time for s in merge_similar(shifts, units, vectors, 1.0)] == [10, 20]


def test_depth_is_the_fall_from_the_peaks_on_both_sides() -> None:
    similarity = np.array([0.9, 0.8, 0.3, 0.7, 0.6, 0.65, 0.9])
    depths = depth_scores(similarity)
    assert depths[2] == pytest.approx((0.9 - 0.3) + (0.7 - 0.3))
    assert depths[4] == pytest.approx((0.7 - 0.6) + (0.9 - 0.6))
    assert valleys(similarity).tolist() == [2, 4]


def test_a_flat_curve_has_no_valley() -> None:
    assert valleys(np.full(6, 0.5)).tolist() == []
    assert (
        pick_shifts(np.arange(6.0), np.zeros(6), valleys(np.full(6, 0.5)), 0.0, 0.0, 1.0, 10.0)
        == []
    )


@settings(deadline=None)
@given(
    depths=st.lists(st.floats(0, 2), min_size=1, max_size=40),
    min_duration=st.floats(0, 30),
    threshold=st.floats(-1, 1),
)
def test_picked_shifts_respect_min_duration_and_the_cutoff(
    depths: list[float], min_duration: float, threshold: float
) -> None:
    duration = 10.0 * (len(depths) + 1)
    times = np.arange(1, len(depths) + 1) * 10.0
    candidates = np.arange(len(depths))
    shifts = pick_shifts(
        times, np.array(depths), candidates, threshold, 0.05, min_duration, duration
    )
    edges = [0.0, *(s.time for s in shifts), duration]
    if shifts:  # with no shift the media is one topic, however short
        assert all(b - a >= min_duration for a, b in zip(edges, edges[1:]))
    cutoff = max(0.05, np.mean(depths) + threshold * np.std(depths))
    assert all(s.depth > cutoff - 1e-12 for s in shifts)
    if shifts:  # the strongest valley that fits is always taken
        fitting = [
            d for t, d in zip(times, depths) if min(t, duration - t) >= min_duration and d > cutoff
        ]
        assert max(s.depth for s in shifts) == pytest.approx(max(fitting))


@settings(deadline=None, max_examples=40)  # each example fits a TF-IDF model
@given(times=st.lists(st.floats(0.5, 99.5), unique=True, max_size=10))
def test_segments_always_tile_the_duration(times: list[float]) -> None:
    shifts = [Shift(t, 0.5) for t in sorted(times)]
    units = [
        TranscriptSegment(start=t, end=t + 0.1, text=f"word{i} topic")
        for i, t in enumerate(sorted(times))
    ]
    topics = segments_from_shifts(shifts, units, 100.0)
    assert len(topics) == len(shifts) + 1
    assert_tiles(topics, 100.0)


def test_check_reports_a_missing_embedding_model(tmp_path) -> None:
    assert Topics().check() == []
    problems = Topics.from_options({"embedder": str(tmp_path / "gone")}).check()
    assert len(problems) == 1 and "does not exist" in problems[0]


def test_registered_as_the_topics_extractor() -> None:
    info = get_registry().get("extractor", "topics")
    assert (
        info.cls is Topics
        and info.cls.provides == "topics"
        and info.cls.requires == ("transcript",)
    )


def _split_mid_sentence(timeline: Timeline) -> Timeline:
    """The sample's transcript as an ASR engine may segment it: every sentence cut in two
    segments, the second half joined to the start of the next sentence."""
    words = [w for s in timeline.track("transcript") for w in (s.words or [])]
    segments, chunk = [], []
    for i, word in enumerate(words):
        chunk.append(word)
        if len(chunk) >= 7 or i == len(words) - 1:
            text = join_words(w.text for w in chunk)
            segments.append(TranscriptSegment(start=chunk[0].start, end=chunk[-1].end,
                                              text=text, words=chunk))
            chunk = []
    return timeline.with_track("transcript", segments)


def test_shifts_fall_between_sentences_when_asr_segments_split_them(
    lecture: tuple[Media, Timeline], truth: dict[str, Any]
) -> None:
    media, timeline = lecture
    cues = timeline.track("transcript")  # one cue per sentence in the sample's .srt
    gaps = [(a.end, b.start) for a, b in zip(cues, cues[1:])]
    split = _split_mid_sentence(timeline)
    assert len(split.track("transcript")) != len(cues)
    found = boundaries(Topics().extract(media, split, RunContext()))
    expected = [t["start"] for t in truth["topics"][1:]]
    assert len(found) == len(expected)
    for shift in found:
        # in the silence between two sentences, never between two words of one
        assert any(end - 0.05 <= shift <= start + 0.05 for end, start in gaps), (shift, gaps)
