import json
import subprocess
import sys
from pathlib import Path

import pytest
from halo_plugin_example import Loudness
from pydantic import ValidationError

from halo_core import MediaError, RunContext, Timeline, probe

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "lecture"


@pytest.fixture(scope="module")
def lecture_loudness():
    media = probe(SAMPLE / "lecture.mp4")
    signals = Loudness.from_options({"window": 0.5}).extract(
        media, Timeline(duration=media.duration), RunContext()
    )
    return media, signals


def test_windows_tile_the_audio(lecture_loudness):
    media, signals = lecture_loudness
    assert signals[0].start == 0
    assert all(a.end == pytest.approx(b.start) for a, b in zip(signals, signals[1:]))
    assert signals[-1].end == pytest.approx(media.duration, abs=0.1)


def test_silent_title_card_is_quieter_than_speech(lecture_loudness):
    truth = json.loads((SAMPLE / "truth.json").read_text())
    _, signals = lecture_loudness
    title_end = truth["title_card"]["end"]
    first = truth["sentences"][0]
    silent = [s.value for s in signals if s.end <= title_end - 0.5]
    speech = [s.value for s in signals if first["start"] <= s.start and s.end <= first["end"]]
    assert silent and speech
    assert max(silent) < -50  # the generator's noise floor is -62 dBFS
    assert min(speech) > max(silent) + 20


def test_unknown_option_is_rejected():
    with pytest.raises(ValidationError, match="windw"):
        Loudness.from_options({"windw": 2})


def test_undecodable_audio_is_a_clear_error(tmp_path):
    media = probe(SAMPLE / "lecture.mp4")
    broken = tmp_path / "broken.mp4"
    data = (SAMPLE / "lecture.mp4").read_bytes()
    broken.write_bytes(data[: len(data) // 50])  # header intact, media data cut off
    truncated = media.model_copy(update={"path": broken})
    try:
        signals = Loudness().extract(truncated, Timeline(duration=media.duration), RunContext())
    except MediaError as exc:
        assert "fix:" in exc.message
    else:  # FFmpeg may decode what is there: then it must not invent audio past the cut
        assert signals[-1].end < media.duration / 2


def test_listed_by_halo_plugins():
    result = subprocess.run(
        [sys.executable, "-m", "halo_core.cli", "plugins", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    plugins = json.loads(result.stdout)
    text = json.dumps(plugins)
    assert "halo-plugin-example" in text and "loudness" in text
