"""Invariants of turning cuts into scenes."""

from __future__ import annotations

import pytest
from halo_scenedetect.options import enforce_min_scene_len
from halo_scenedetect.scenes import Cut, cut_strength, scenes_from_cuts
from hypothesis import given
from hypothesis import strategies as st

cuts = st.lists(
    st.builds(
        Cut, time=st.floats(-5, 200, allow_nan=False), score=st.floats(0, 1, allow_nan=False)
    ),
    max_size=40,
)


@given(cuts=cuts, end=st.floats(0.1, 150), fps=st.sampled_from([10.0, 25.0, 29.97, 60.0]))
def test_scenes_tile_the_video_in_order(cuts: list[Cut], end: float, fps: float) -> None:
    scenes = scenes_from_cuts(cuts, end, fps)
    assert scenes[0].start == 0 and scenes[0].score == 1
    assert scenes[-1].end == end
    for a, b in zip(scenes, scenes[1:]):
        assert a.end == b.start and b.start - a.start >= 0.5 / fps
    for scene in scenes:
        assert 0 <= scene.score <= 1 and scene.start <= scene.keyframe <= scene.end
    inside = {round(c.time, 9) for c in cuts if 0 < c.time < end}
    assert {round(s.start, 9) for s in scenes[1:]} <= inside


@given(cuts=cuts, min_len=st.floats(0, 30))
def test_min_scene_len_keeps_kept_cuts_apart(cuts: list[Cut], min_len: float) -> None:
    kept = enforce_min_scene_len(cuts, min_len)
    starts = [0.0] + [c.time for c in kept]
    assert all(b - a >= min_len for a, b in zip(starts, starts[1:]))


@given(st.floats(0, 1e6), st.floats(0, 1e6))
def test_cut_strength_is_monotonic_in_0_1(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert 0 <= cut_strength(low) <= cut_strength(high) < 1 or high > 1e5


def test_cut_strength_half_point() -> None:
    assert cut_strength(10.0) == pytest.approx(0.5)
