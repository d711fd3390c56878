from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from halo_rl.chunker import PPOChunker
from halo_rl.env import OBSERVATION, Limits, Walk
from halo_rl.episode import Episode
from halo_rl.oracle import Oracle
from halo_rl.policy import BUNDLED_POLICY, Policy
from hypothesis import given, settings
from hypothesis import strategies as st

from halo_core import ComponentUnavailable


def _episode(gaps: list[float], tokens: list[int]) -> Episode:
    times = np.cumsum(gaps[:-1])
    duration = float(np.sum(gaps))
    n = len(times)
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(n + 1, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return Episode(
        duration=duration,
        times=times,
        evidence=rng.uniform(size=(n, 4)).astype(np.float32),
        span_tokens=np.array(tokens[: n + 1], dtype=np.float64),
        span_vectors=vectors,
        span_bounds=np.concatenate([[0.0], times, [duration]]),
    )


@settings(max_examples=150, deadline=None)
@given(
    gaps=st.lists(st.floats(min_value=0.5, max_value=15.0), min_size=2, max_size=120),
    tokens=st.lists(st.integers(min_value=0, max_value=80), min_size=121, max_size=121),
    proposals=st.lists(st.booleans(), min_size=120, max_size=120),
)
def test_walk_enforces_limits_whatever_the_policy_proposes(gaps, tokens, proposals):
    limits = Limits(min_duration=10, max_duration=40, max_tokens=400)
    episode = _episode(gaps, tokens)
    walk = Walk(episode, limits)
    while not walk.done:
        observation = walk.observation()
        assert observation.shape == (len(OBSERVATION),)
        assert np.all((observation >= 0) & (observation <= 1))
        walk.step(proposals[walk.position])
    cut_times = walk.cut_times()
    bounds = [0.0, *cut_times, episode.duration]
    first_spans = [0, *[i + 1 for i in walk.cuts], episode.size + 1]
    for k, (start, end) in enumerate(zip(bounds, bounds[1:])):
        spans = first_spans[k + 1] - first_spans[k]
        tokens = episode.span_tokens[first_spans[k] : first_spans[k + 1]].sum()
        # A limit is broken only where a single span, with no cut point inside, breaks it alone.
        if end - start > limits.max_duration + 1e-9 or tokens > limits.max_tokens:
            assert spans == 1
    for k, i in enumerate(walk.cuts):
        if i not in walk.forced:
            assert episode.times[i] - bounds[k] >= limits.min_duration
            assert episode.duration - episode.times[i] >= limits.min_duration


def test_policy_round_trips_through_npz(tmp_path, tiny_training):
    path = tmp_path / "p.npz"
    tiny_training.policy.save(path)
    loaded = Policy.load(path)
    observation = np.linspace(0, 1, len(OBSERVATION), dtype=np.float32)
    assert np.allclose(loaded.logits(observation), tiny_training.policy.logits(observation))
    assert loaded.meta["limits"] == Limits().model_dump()


def test_bundled_policy_is_small_and_loads():
    assert BUNDLED_POLICY.stat().st_size < 64 * 1024
    policy = Policy.load(BUNDLED_POLICY)
    assert policy.logits(np.zeros(len(OBSERVATION), dtype=np.float32)).shape == (2,)


def test_bad_policy_files_are_clear_errors(tmp_path):
    with pytest.raises(ComponentUnavailable, match="not found"):
        Policy.load(tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ComponentUnavailable, match="not a HALO policy"):
        Policy.load(junk)


@settings(max_examples=60, deadline=None)
@given(
    gaps=st.lists(st.floats(min_value=0.5, max_value=15.0), min_size=2, max_size=80),
    tokens=st.lists(st.integers(min_value=0, max_value=80), min_size=81, max_size=81),
    truth_share=st.lists(st.floats(min_value=0.0, max_value=1.0), max_size=6),
)
def test_the_teachers_plan_is_what_its_walk_earns(gaps, tokens, truth_share):
    """The oracle's value is reached by walking its choices under the walk's own rules: no cut it
    wants is refused, and the gains of the cuts made add up to the value it promised."""
    limits = Limits(min_duration=10, max_duration=40, max_tokens=400)
    plain = _episode(gaps, tokens)
    episode = dataclasses.replace(plain, truth=np.array([s * plain.duration for s in truth_share]))
    oracle = Oracle.build(episode, limits)
    walk = Walk(episode, limits)
    while not walk.done:
        walk.step(oracle.wants_cut(walk))
    assert walk.refused == 0
    assert episode.truth_gains[walk.cuts].sum() == pytest.approx(oracle.value[0])


def test_a_retrained_policy_changes_the_chunkers_identity(tmp_path, tiny_training):
    """Cached chunks are keyed by the identity: another policy file must not reuse them."""
    path = tmp_path / "p.npz"
    tiny_training.policy.save(path)
    mine = PPOChunker.from_options({"policy": str(path)}).identity()
    bundled = PPOChunker.from_options({}).identity()
    assert mine["policy_sha256"] != bundled["policy_sha256"]
    Policy(tiny_training.policy.layers, {**tiny_training.policy.meta, "seed": 99}).save(path)
    assert PPOChunker.from_options({"policy": str(path)}).identity() != mine
