"""Steady stretches on synthetic thumbnails: a moving inset is learnt and ignored, a change to
the still picture that holds opens a stretch."""

from __future__ import annotations

import numpy as np
from halo_slides.stretches import StretchFinder, moving_regions
from hypothesis import given, settings
from hypothesis import strategies as st


def frames(changes: dict[int, int], count: int, seed: int) -> list[np.ndarray]:
    """`count` 90x160 thumbnails: a static slide whose text block changes at the given sample
    indices (to the given grey level), and a 'webcam' in the bottom right with random pixels."""
    rng = np.random.default_rng(seed)
    level = 200
    out = []
    for index in range(count):
        level = changes.get(index, level)
        thumb = np.full((90, 160), 40, np.uint8)
        thumb[20:30, 10:100] = level  # a text line
        thumb[70:86, 126:156] = rng.integers(0, 255, (16, 30), dtype=np.uint8)  # the inset
        out.append(thumb)
    return out


def run(thumbs: list[np.ndarray], cuts: list[float] = ()) -> list:
    finder = StretchFinder(cuts=list(cuts), change_fraction=0.005)
    closed = []
    for index, thumb in enumerate(thumbs):
        closed += finder.add(index * 0.5, thumb, thumb)
    return closed + finder.finish(len(thumbs) * 0.5)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(4, 55), min_size=0, max_size=3, unique=True),
    st.integers(0, 2**16),
)
def test_held_changes_open_stretches_and_the_moving_inset_does_not(
    change_at: list[int], seed: int
) -> None:
    change_at = sorted(change_at)
    if any(b - a < 3 for a, b in zip(change_at, change_at[1:])):
        return  # changes closer than the hold the finder waits for
    changes = {index: 60 + 40 * n for n, index in enumerate(change_at)}
    stretches = run(frames(changes, 60, seed))
    # after the inset has been seen moving a few times, only the text changes open stretches
    opened = [round(s.start / 0.5) for s in stretches[1:]]
    assert [i for i in opened if i > 4] == [i for i in change_at if i > 4]
    # stretches tile the samples in order
    assert stretches[0].start == 0 and stretches[-1].end == 30
    assert all(a.end == b.start for a, b in zip(stretches, stretches[1:]))


def test_a_scene_cut_closes_a_stretch_even_without_a_visible_change() -> None:
    stretches = run(frames({}, 20, 1), cuts=[4.2])
    assert [s.start for s in stretches] == [0, 4.2]
    assert stretches[0].end == 4.2


def test_moving_regions_cover_the_inset() -> None:
    mask = np.zeros((90, 160), bool)
    mask[74:82, 132:150] = True  # the face moves; the inset's edges do not
    ((x0, y0, x1, y1),) = moving_regions(mask, 640, 360)
    assert x0 <= 126 * 4 and y0 <= 70 * 4 and x1 >= 156 * 4 - 8 and y1 >= 86 * 4 - 8
