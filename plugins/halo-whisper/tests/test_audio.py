from __future__ import annotations

import numpy as np
import pytest
from conftest import FIXTURES
from halo_whisper.audio import SAMPLE_RATE, quiet_cut, stream_windows
from hypothesis import given, settings
from hypothesis import strategies as st

SAMPLE = FIXTURES / "sample.flac"
WHOLE = np.concatenate([w.samples for w in stream_windows(SAMPLE, 3600.0)])


def test_one_window_holds_a_short_file_whole() -> None:
    assert len(WHOLE) == 30 * SAMPLE_RATE


@settings(max_examples=15, deadline=None)
@given(window_s=st.floats(2.0, 40.0))
def test_windows_tile_the_audio_without_gap_or_overlap(window_s: float) -> None:
    windows = list(stream_windows(SAMPLE, window_s))
    assert windows[0].offset == 0
    for before, after in zip(windows, windows[1:]):
        assert after.offset == pytest.approx(before.end, abs=1e-9)  # contiguous on the media clock
        assert window_s / 2 <= before.end - before.offset <= 1.5 * window_s + 0.1
    assert np.array_equal(np.concatenate([w.samples for w in windows]), WHOLE)


def test_windows_are_cut_at_the_quietest_moment() -> None:
    rng = np.random.default_rng(0)
    samples = rng.normal(0, 0.3, 10 * SAMPLE_RATE).astype(np.float32)
    samples[6 * SAMPLE_RATE : 6 * SAMPLE_RATE + 800] = 0  # a 50 ms pause at 6 s
    cut = quiet_cut(samples, 4 * SAMPLE_RATE)
    assert 6 * SAMPLE_RATE <= cut <= 6 * SAMPLE_RATE + 800
