from __future__ import annotations

import numpy as np
import pytest
from conftest import FIXTURES
from halo_whisper.audio import SAMPLE_RATE, AudioWindow, quiet_cut, stream_windows
from halo_whisper.faster import FasterWhisper
from halo_whisper.prompts import pieces
from hypothesis import given, settings
from hypothesis import strategies as st

from halo_core import SlideText

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


# --- prompting with the slide on screen ---------------------------------------------------------


def test_a_window_is_split_at_slide_changes_and_each_piece_prompted_with_its_slide() -> None:
    rng = np.random.default_rng(3)
    samples = rng.normal(0, 0.3, 60 * SAMPLE_RATE).astype(np.float32)
    samples[int(29.6 * SAMPLE_RATE) : int(29.9 * SAMPLE_RATE)] = 0  # a pause near the change
    slides = [
        SlideText(start=0, end=30, text="Gutenberg\nMainz, around 1450", heading="Gutenberg"),
        SlideText(start=30, end=31.5, text="a flash"),  # too short for a piece of its own
        SlideText(start=31.5, end=200, text="DNA\nLagging strand: Okazaki fragments"),
    ]
    window = AudioWindow(100.0, samples)
    shifted = [s.model_copy(update={"start": s.start + 100, "end": s.end + 100}) for s in slides]
    got = list(pieces(window, shifted))
    assert [round(p.offset, 1) for p in got] == [100.0, pytest.approx(129.7, abs=0.2)]
    assert [p.prompt for p in got] == [
        "Gutenberg. Mainz, around 1450.",
        "DNA. Lagging strand: Okazaki fragments.",
    ]
    assert np.array_equal(np.concatenate([p.samples for p in got]), samples)


def test_without_slides_a_window_is_one_unprompted_piece() -> None:
    window = AudioWindow(0.0, np.zeros(16000 * 10, np.float32))
    (piece,) = pieces(window, [])
    assert piece.prompt is None and piece.offset == 0 and len(piece.samples) == 16000 * 10


def test_slide_prompts_make_the_extractor_require_the_slides_track() -> None:
    assert FasterWhisper.from_options({}).requires == ()
    assert FasterWhisper.from_options({"slide_prompts": True}).requires == ("slides",)
