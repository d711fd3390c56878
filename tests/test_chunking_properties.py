"""Property tests over random timelines for the `rules` and `fixed` chunkers and the shared
chunking machinery: tiling, every word once, no cut inside a sentence, bounds when feasible."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from halo_core.builtins.chunkers import FixedChunker, RulesChunker
from halo_core.chunking import boundary_f1, candidates, sentences, transcript_units
from halo_core.testing.chunker_contract import ChunkerContract, MakeChunker, run_chunker
from halo_core.testing.timelines import (
    FORCED_REASONS,
    GeneratedTimeline,
    assert_no_cut_inside_sentences,
    assert_tiles,
    assert_words_once,
    generated_timelines,
)
from halo_core.text import join_words

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class TestRulesContract(ChunkerContract):
    @pytest.fixture
    def make_chunker(self) -> MakeChunker:
        return lambda **options: RulesChunker.from_options(options)


class TestFixedContract(ChunkerContract):
    @pytest.fixture
    def make_chunker(self) -> MakeChunker:
        return lambda **options: FixedChunker.from_options(options)


@st.composite
def rules_options(draw: st.DrawFn) -> dict[str, Any]:
    max_duration = draw(st.sampled_from([15.0, 60.0, 120.0, 300.0]))
    return {
        "min_duration": draw(st.sampled_from([0.0, 5.0, 10.0, 30.0])) * (max_duration >= 30),
        "max_duration": max_duration,
        "max_tokens": draw(st.sampled_from([30, 200, 1500])),
        "penalty": draw(st.sampled_from([0.0, 0.3, 0.5, 1.0])),
        "weights": draw(
            st.dictionaries(
                st.sampled_from(["scene", "speaker", "topic", "pause"]), st.floats(0, 3), min_size=1
            )
        ),
    }


def feasible(generated: GeneratedTimeline, options: dict[str, Any]) -> bool:
    """Whether some choice of candidate cuts meets every bound (independent reachability)."""
    duration = generated.duration
    units = transcript_units(generated.timeline)
    times = [0.0, *(c.time for c in candidates(generated.timeline, duration)), duration]

    def tokens(a: float, b: float) -> int:
        text = " ".join(u.text for u in units if a <= u.mid < b or (b == duration and u.mid >= b))
        return math.ceil(len(text) / 4)

    reachable = [True] + [False] * (len(times) - 1)
    for j in range(1, len(times)):
        reachable[j] = any(
            reachable[i]
            and options["min_duration"] <= times[j] - times[i] <= options["max_duration"]
            and tokens(times[i], times[j]) <= options["max_tokens"]
            for i in range(j)
        )
    return reachable[-1]


@PROPERTY
@given(generated_timelines(), rules_options())
def test_rules_invariants(generated: GeneratedTimeline, options: dict[str, Any]) -> None:
    chunks = run_chunker(RulesChunker.from_options(options), generated.timeline, generated.duration)
    assert_tiles(chunks, generated.duration)
    assert_words_once(chunks, generated)
    assert_no_cut_inside_sentences(chunks, generated)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated_timelines(max_sentences=15), rules_options())
def test_rules_respects_bounds_whenever_feasible(
    generated: GeneratedTimeline, options: dict[str, Any]
) -> None:
    assume(generated.duration > 0)
    chunks = run_chunker(RulesChunker.from_options(options), generated.timeline, generated.duration)
    if not feasible(generated, options):
        # No choice of candidates meets every bound: cuts off the candidates must say why.
        allowed = {c.time for c in candidates(generated.timeline, generated.duration)}
        for chunk in chunks[1:]:
            if chunk.start not in allowed:
                assert FORCED_REASONS & {r.kind for r in chunk.opened_by.reasons}
        return
    for chunk in chunks:
        assert (
            options["min_duration"] - 1e-6
            <= chunk.end - chunk.start
            <= options["max_duration"] + 1e-6
        )
        assert chunk.token_estimate <= options["max_tokens"]
    # a bound may force a cut, but a feasible one lands on a sentence end or pause
    allowed = {c.time for c in candidates(generated.timeline, generated.duration)}
    assert all(c.start in allowed for c in chunks[1:])


@PROPERTY
@given(generated_timelines(), st.sampled_from([10.0, 30.0, 60.0, 120.0]), st.booleans())
def test_fixed_invariants(generated: GeneratedTimeline, window: float, snap: bool) -> None:
    chunker = FixedChunker.from_options({"duration": window, "snap": snap})
    chunks = run_chunker(chunker, generated.timeline, generated.duration)
    assert_tiles(chunks, generated.duration)
    assert_words_once(chunks, generated)
    if snap:
        snapped = [c.time for c in candidates(generated.timeline, generated.duration)]
        for chunk in chunks[1:]:
            if chunk.start not in snapped:
                # allowed only when no sentence end lay within half a window of the window edge
                edge = round(chunk.start / window) * window
                assert not any(abs(t - edge) <= window / 2 for t in snapped)
    else:
        assert all(c.start == pytest.approx(window * c.index) for c in chunks[1:])


@PROPERTY
@given(generated_timelines())
def test_candidates_sit_between_sentences(generated: GeneratedTimeline) -> None:
    found = candidates(generated.timeline, generated.duration)
    times = [c.time for c in found]
    assert times == sorted(set(times))
    assert all(0 < t < generated.duration for t in times)
    for c in found:
        for first, last in generated.sentences:
            assert not first < c.time <= last
        for value in (c.scene, c.speaker, c.topic, c.pause):
            assert 0.0 <= value <= 1.0
    assert [c.tokens_before for c in found] == sorted(c.tokens_before for c in found)


@given(
    st.lists(st.floats(0, 1000), max_size=20),
    st.lists(st.floats(0, 1000), max_size=20),
    st.floats(0.1, 20),
)
def test_boundary_f1_bounds(predicted: list[float], truth: list[float], tolerance: float) -> None:
    precision, recall, f1 = boundary_f1(predicted, truth, tolerance)
    assert 0 <= precision <= 1 and 0 <= recall <= 1 and 0 <= f1 <= 1
    assert boundary_f1(truth, truth, tolerance) == (1.0, 1.0, 1.0)
    far = max(predicted, default=0) + 2 * tolerance + 1  # every shifted time beyond all of them
    assert boundary_f1(predicted, [t + far for t in predicted], tolerance)[2] == (
        0.0 if predicted else 1.0
    )


@PROPERTY
@given(generated_timelines())
def test_sentences_regroup_every_word_once_and_end_at_sentence_ends(
    generated: GeneratedTimeline,
) -> None:
    units = transcript_units(generated.timeline)
    grouped = sentences(generated.timeline)
    assert join_words(" " + s.text for s in grouped) == join_words(u.text for u in units)
    ends = {u.end for u in units if u.sentence_end}
    for sentence, following in zip(grouped, grouped[1:]):
        assert sentence.start <= sentence.end <= following.end
        assert sentence.end in ends or following.start - sentence.end > 1.0
