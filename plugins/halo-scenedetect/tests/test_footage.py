"""Footage mode on real clips of a film: a hard cut told from a fade, a dissolve, fast motion
and a text overlay; `auto` keeps the slide settings on lectures; invariants of the cut rule."""

from __future__ import annotations

from array import array
from collections.abc import Callable

import pytest
from halo_scenedetect import SceneDetect
from halo_scenedetect.footage import FootageSettings, Measures, fades, hard_cuts
from hypothesis import given, settings
from hypothesis import strategies as st
from scenedetect_support import CLIP_CUTS, FRAME, assert_tiles, run

from halo_core import Media, RunContext

FILM_FRAME = 1 / 25  # the film clips are 25 fps

FilmClip = Callable[[str], Media]


def auto(media: Media, ctx: RunContext, **options: object) -> list:
    return run(SceneDetect.from_options(options), media, ctx)


def test_a_real_hard_cut_is_one_cut_at_its_frame(film_clip: FilmClip, ctx: RunContext) -> None:
    clip = film_clip("cut")
    scenes = auto(clip, ctx)
    assert [s.start for s in scenes[1:]] == pytest.approx([1.28], abs=FILM_FRAME / 2)
    assert scenes[1].transition == "cut"
    assert_tiles(scenes, clip.duration)


def test_a_continuous_shot_with_fast_motion_has_no_cut(
    film_clip: FilmClip, ctx: RunContext
) -> None:
    # a man passes right in front of the camera (PySceneDetect's HashDetector cuts there)
    assert len(auto(film_clip("fast-motion"), ctx)) == 1


def test_a_fade_through_black_is_a_fade_not_a_hard_cut(
    film_clip: FilmClip, ctx: RunContext
) -> None:
    scenes = auto(film_clip("fadeblack"), ctx)
    assert [s.transition for s in scenes[1:]] == ["fade"]
    assert 1.4 <= scenes[1].start <= 2.4  # inside the fade (1.4-2.4 s)


def test_a_fast_fade_and_a_flash_are_no_hard_cut_where_slide_settings_cut(
    film_clip: FilmClip, ctx: RunContext
) -> None:
    fast_fade = film_clip("fadeblack-fast")  # 0.3 s through black, 2.1-2.4 s
    assert [(s.transition, round(s.start, 1)) for s in auto(fast_fade, ctx)[1:]] == [("fade", 2.2)]
    flash = film_clip("flash")  # two much brighter frames at 1.2 s
    assert len(auto(flash, ctx)) == 1
    # what the slide settings (before footage mode) make of them: one cut each
    for clip in (fast_fade, flash):
        assert len(auto(clip, ctx, mode="slides")) == 2


def test_a_crossfade_is_no_hard_cut(film_clip: FilmClip, ctx: RunContext) -> None:
    assert [s.transition for s in auto(film_clip("crossfade"), ctx)[1:]] == []


def test_a_text_overlay_on_a_moving_shot_is_no_cut(film_clip: FilmClip, ctx: RunContext) -> None:
    clip = film_clip("lower-third")
    assert len(auto(clip, ctx)) == 1
    # the slide settings take the caption band for two slide changes (it appears, it goes):
    # why footage needs its own settings
    slides = auto(clip, ctx, mode="slides")
    assert [s.start for s in slides[1:]] == pytest.approx([1.0, 2.04], abs=FILM_FRAME)


def test_auto_keeps_the_slide_settings_on_a_lecture(clip: Media, ctx: RunContext) -> None:
    found = auto(clip, ctx)
    slides = auto(clip, ctx, mode="slides")
    assert [(s.start, s.score, s.transition) for s in found] == [
        (s.start, s.score, None) for s in slides
    ]
    assert [s.start for s in found[1:]] == pytest.approx(CLIP_CUTS, abs=FRAME / 2)


def test_footage_mode_forced_on_a_lecture_still_tiles(clip: Media, ctx: RunContext) -> None:
    scenes = auto(clip, ctx, mode="footage")
    assert_tiles(scenes, clip.duration)
    assert all(s.transition in ("cut", "fade") for s in scenes[1:])


# --- invariants of the cut rule on any measures ------------------------------------------------

frame_measures = st.lists(
    st.tuples(
        st.floats(0, 255),  # luma
        st.booleans(),  # black
        st.floats(0, 1),  # moving
        st.floats(0, 120),  # change
        st.floats(0, 1),  # spread
        st.floats(-1, 1),  # structure
    ),
    max_size=300,
)


def measures_of(rows: list[tuple[float, bool, float, float, float, float]]) -> Measures:
    m = Measures()
    for luma, black, moving, change, spread, structure in rows:
        m.luma.append(luma)
        m.black.append(int(black))
        m.moving.append(moving)
        m.change.append(change)
        m.spread.append(spread)
        m.structure.append(structure)
    return m


def brute_force_cuts(measures: Measures, rule: FootageSettings) -> list[int]:
    """The rule of footage.py spelled out frame by frame."""
    change = [float(c) for c in measures.change]
    found = []
    for i in range(1, len(change)):
        around = range(max(1, i - rule.window), min(len(change), i + rule.window + 1))
        neighbours = [change[j] for j in around if j != i]
        mean = sum(neighbours) / len(neighbours) if neighbours else 0.0
        if (
            change[i] >= rule.min_change
            and change[i] >= rule.ratio * mean - 1e-4
            and measures.spread[i] >= rule.min_spread
            and measures.structure[i] <= rule.max_structure
            and not measures.black[i]
            and not measures.black[i - 1]
        ):
            found.append(i)
    return found


# no deadline: a loaded shared machine must not fail a property that holds
@settings(deadline=None)
@given(rows=frame_measures, ratio=st.floats(1.01, 10), window=st.integers(1, 30))
def test_hard_cuts_are_the_frames_that_meet_the_rule_in_order(
    rows: list[tuple[float, bool, float, float, float, float]], ratio: float, window: int
) -> None:
    measures = measures_of(rows)
    rule = FootageSettings(ratio=ratio, window=window)
    found = hard_cuts(measures, rule)
    assert found == sorted(set(found))
    assert all(1 <= i < len(rows) for i in found)
    # equal to the rule spelled out, but for frames within float rounding of the ratio
    expected = brute_force_cuts(measures, rule)
    assert set(found) <= set(expected)
    strict = brute_force_cuts(measures, rule.model_copy(update={"ratio": ratio + 1e-3}))
    assert set(strict) <= set(found)


@settings(deadline=None)
@given(st.lists(st.booleans(), max_size=200))
def test_fades_are_black_runs_between_pictures(black: list[bool]) -> None:
    flags = array("b", [int(b) for b in black])
    runs = fades(flags)
    assert runs == sorted(runs)
    for first, end in runs:
        assert 0 < first < end < len(black)
        assert all(black[first:end]) and not black[first - 1] and not black[end]
    inner = [i for i in range(1, len(black) - 1) if black[i]]
    covered = {i for first, end in runs for i in range(first, end)}
    # every black frame with a picture somewhere before and after it is in a fade
    for i in inner:
        if any(not b for b in black[:i]) and any(not b for b in black[i + 1 :]):
            assert i in covered
