"""Properties of the window layout and re-segmentation (pure functions on seconds)."""

from __future__ import annotations

from halo_whisper.segmentation import bridge, merge_close, resegment, sliding_windows
from hypothesis import given, settings
from hypothesis import strategies as st

LENGTH, HOP = 1.5, 0.75


@st.composite
def speech_regions(draw) -> list[tuple[float, float]]:
    """Sorted, non-overlapping (start, end) regions."""
    regions, t = [], 0.0
    for gap, length in draw(
        st.lists(st.tuples(st.floats(0.0, 3.0), st.floats(0.05, 8.0)), min_size=1, max_size=10)
    ):
        start = t + gap + (0.01 if regions else 0.0)
        regions.append((start, start + length))
        t = start + length
    return regions


def _inside(t: float, spans: list[tuple[float, float]]) -> bool:
    return any(s - 1e-9 <= t <= e + 1e-9 for s, e in spans)


@settings(max_examples=80, deadline=None)
@given(regions=speech_regions(), bridge_gap=st.sampled_from([0.0, HOP]))
def test_windows_cover_all_speech_and_stay_inside_it(regions, bridge_gap) -> None:
    windows = sliding_windows(regions, LENGTH, HOP, bridge_gap)
    stretches = merge_close(regions, bridge_gap)
    for w in windows:
        assert w.end - w.start <= LENGTH + 1e-9
        assert _inside(w.start, stretches) and _inside(w.end, stretches)
        assert 0 <= w.speech <= w.end - w.start + 1e-9
    for start, end in regions:  # every instant of speech is inside some window
        for t in (start, (start + end) / 2, end):
            assert any(w.start - 1e-9 <= t <= w.end + 1e-9 for w in windows)
    starts = [w.start for w in windows]
    assert starts == sorted(starts)
    for a, b in zip(windows, windows[1:]):  # within a stretch, windows are at most a hop apart
        if b.start < a.end:
            assert b.start - a.start <= HOP + 1e-9


@settings(max_examples=80, deadline=None)
@given(
    regions=speech_regions(),
    labels=st.lists(st.integers(0, 2), min_size=1, max_size=200),
    overlaps=st.lists(st.sampled_from([None, 0, 1, 2]), min_size=1, max_size=200),
)
def test_resegmented_turns_tile_the_speech(regions, labels, overlaps) -> None:
    windows = sliding_windows(regions, LENGTH, HOP, HOP)
    labels = [labels[i % len(labels)] for i in range(len(windows))]
    second = [overlaps[i % len(overlaps)] for i in range(len(windows))]
    for marks in (None, second):
        runs = resegment(windows, labels, regions, marks)
        assert all(_inside(s, regions) and _inside(e, regions) and s < e for s, e, _, _ in runs)
        assert {k for _, _, k, _ in runs} <= set(labels) | {m for m in second if m is not None}
        plain = [r for r in runs if not r[3]]
        for a, b in zip(plain, plain[1:]):  # one speaker at a time where nothing overlaps
            assert b[0] >= a[1] - 1e-9
        speech = sum(e - s for s, e in regions)
        covered = sum(e - s for s, e in merge_close([(s, e) for s, e, *_ in runs], 0.0))
        assert abs(covered - speech) < 1e-6 * max(1.0, speech)  # every speech instant is someone's
        if marks is None:
            assert not any(o for *_, o in runs)
            assert abs(sum(e - s for s, e, *_ in runs) - speech) < 1e-6 * max(1.0, speech)


@settings(max_examples=80, deadline=None)
@given(regions=speech_regions(), labels=st.lists(st.integers(0, 2), min_size=1, max_size=50))
def test_bridging_never_crosses_another_speaker(regions, labels) -> None:
    windows = sliding_windows(regions, LENGTH, HOP, HOP)
    runs = resegment(windows, [labels[i % len(labels)] for i in range(len(windows))], regions)
    joined = bridge(runs, 0.5)
    assert sum(e - s for s, e, *_ in joined) >= sum(e - s for s, e, *_ in runs) - 1e-9
    for a, b in zip(joined, joined[1:]):
        assert b[0] >= a[1] - 1e-9  # still one speaker at a time
