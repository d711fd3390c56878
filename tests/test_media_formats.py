"""The default spec (pipelines/lecture.yaml) end to end on any media a user has, with the real
engines (faster-whisper, voice-clusters, PySceneDetect, slide OCR, topics) through `halo run` in
a new process with every plugin loaded: audio files (mp3, m4a/aac, 32-bit float wav at 44.1 kHz
stereo, flac, ogg/opus), a silent slide deck, webm/mkv/mov, and variable-frame-rate video.

Each file is cut by ffmpeg at test time from the committed sample lecture: 15 s (29.0–44.0 s of
the lecture) holding two sentences and one slide change, 8.1 s in (37.1 s in truth.json). All run
in one `halo run` (the models load once).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from halo_core.model import Stream

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "lecture" / "lecture.mp4"
START, SECONDS = 29.0, 15.0
TRUTH = json.loads((ROOT / "samples" / "lecture" / "truth.json").read_text())
CUT = next(c for c in TRUTH["scene_cuts"] if START < c < START + SECONDS) - START  # 8.1 s
FRAME = 1 / TRUTH["fps"]

VIDEO = ["-c:v", "libx264", "-pix_fmt", "yuv420p"]
FILES: dict[str, list[str]] = {  # file name -> ffmpeg output options
    "talk-mp3.mp3": ["-vn", "-c:a", "libmp3lame", "-b:a", "64k"],
    "talk-aac.m4a": ["-vn", "-c:a", "aac", "-b:a", "48k"],
    "talk-float.wav": ["-vn", "-c:a", "pcm_f32le", "-ar", "44100", "-ac", "2"],
    "talk-flac.flac": ["-vn", "-c:a", "flac"],
    "talk-opus.ogg": ["-vn", "-c:a", "libopus", "-b:a", "32k"],
    "deck.mp4": ["-an", *VIDEO],
    "talk-webm.webm": ["-c:v", "libvpx", "-b:v", "300k", "-c:a", "libopus"],
    "talk-mkv.mkv": [*VIDEO, "-c:a", "aac"],
    "talk-mov.mov": [*VIDEO, "-c:a", "aac"],
    # every frame for 4 s, then every third: frame intervals of 0.1 s and 0.3 s
    "talk-vfr.mp4": ["-vf", r"select=lt(t\,4)+not(mod(n\,3))", "-fps_mode", "vfr", *VIDEO,
                     "-c:a", "aac"],
}
AUDIO_ONLY = [name for name, options in FILES.items() if "-vn" in options]
WITH_VIDEO_AND_AUDIO = ["talk-webm.webm", "talk-mkv.mkv", "talk-mov.mov", "talk-vfr.mp4"]
DECK_QUESTION = "How large is the tidal range in the Bay of Fundy?"
SIDECAR_QUESTION = "When are tides especially large?"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Run folder by file name, after one `halo run pipelines/lecture.yaml` over every file."""
    folder = tmp_path_factory.mktemp("formats")
    for name, options in FILES.items():
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", str(START), "-t", str(SECONDS),
                        "-i", str(SAMPLE), *options, str(folder / name)], check=True)
    (folder / "talk-mp3.questions.yaml").write_text(f"- {SIDECAR_QUESTION}\n")  # its own
    env = {k: v for k, v in os.environ.items() if k != "HALO_LOAD_PLUGINS"}  # every plugin
    inputs = [arg for name in FILES for arg in ("--input", str(folder / name))]
    done = subprocess.run(
        [sys.executable, "-m", "halo_core.cli", "run", str(ROOT / "pipelines" / "lecture.yaml"),
         *inputs, "--out", str(folder / "runs"), "--ask", DECK_QUESTION],
        cwd=folder, env={**env, "HF_HUB_OFFLINE": "1"}, capture_output=True, text=True,
        timeout=1200, check=False)
    assert done.returncode == 0, done.stderr
    (folder / "progress.txt").write_text(done.stderr)
    return {name: folder / "runs" / "lecture" / Path(name).stem for name in FILES}


def _read(run: Path, name: str) -> Any:
    return json.loads((run / name).read_text())


def _tracks(run: Path, *names: str) -> dict[str, list[Any]]:
    """The run's timeline tracks, which must be exactly `names`."""
    tracks: dict[str, list[Any]] = _read(run, "timeline.json")["tracks"]
    assert set(tracks) == set(names)
    return tracks


def _words(tracks: dict[str, list[Any]]) -> str:
    return " ".join(s["text"] for s in tracks["transcript"]).lower()


@pytest.mark.parametrize("name", AUDIO_ONLY)
def test_an_audio_file_gets_transcript_speakers_and_topics_and_skips_scenes_and_slides(
    runs: dict[str, Path], name: str
) -> None:
    run = runs[name]
    words = _words(_tracks(run, "transcript", "speakers", "topics"))
    assert "spring tides" in words and "coastline" in words and "floor" in words, words
    report = _read(run, "report.json")
    assert report["media"]["duration"] == pytest.approx(SECONDS, abs=0.1)
    assert [(s["extractor"], s["missing"]) for s in report["skipped"]] == [
        ("scenedetect", "video stream"), ("slides", "video stream")]
    notes = (run / "notes.md").read_text()
    assert "> Note: skipped extractor 'scenedetect' (scenes): the file has no video stream; " \
           "skipped extractor 'slides' (slides): the file has no video stream." in notes
    answers = _read(run, "answers.json")
    own = [SIDECAR_QUESTION] if name == "talk-mp3.mp3" else []  # only that file has a sidecar
    assert [a["question"] for a in answers] == ["What are the main topics?", DECK_QUESTION, *own]
    if own:
        assert "spring tides" in answers[2]["answer"].lower(), answers[2]


def test_a_silent_slide_deck_gets_scenes_slides_notes_and_answers_from_slide_text(
    runs: dict[str, Path],
) -> None:
    run = runs["deck.mp4"]
    tracks = _tracks(run, "scenes", "slides")  # no transcript
    assert [s["start"] for s in tracks["scenes"]][1:] == [pytest.approx(CUT, abs=FRAME)]
    slides = " ".join(s["text"] for s in tracks["slides"])
    assert "Spring tides: new and full moon" in slides and "Bay of Fundy" in slides
    report = _read(run, "report.json")
    assert [s["extractor"] for s in report["skipped"]] == ["faster-whisper", "voice-clusters",
                                                          "topics"]
    assert "topics" in {s["track"] for s in report["skipped"]}
    notes = (run / "notes.md").read_text()
    assert "skipped extractor 'faster-whisper' (transcript): the file has no audio stream" in notes
    assert "Spring tides: new and full moon" in notes  # the slides' text is what it summarises
    answers = {a["question"]: a for a in _read(run, "answers.json")}
    assert "15 m" in answers[DECK_QUESTION]["answer"], answers[DECK_QUESTION]
    assert answers[DECK_QUESTION]["citations"]


@pytest.mark.parametrize("name", WITH_VIDEO_AND_AUDIO)
def test_video_containers_and_variable_frame_rate_keep_every_track_and_true_times(
    runs: dict[str, Path], name: str
) -> None:
    run = runs[name]
    tracks = _tracks(run, "transcript", "speakers", "scenes", "slides", "topics")
    assert _read(run, "report.json")["skipped"] == []
    assert "spring tides" in _words(tracks)
    # the slide change is where it is in the lecture, whatever the container or frame timing
    assert [s["start"] for s in tracks["scenes"]][1:] == [pytest.approx(CUT, abs=FRAME)]
    changes = [s["start"] for s in tracks["slides"]][1:]
    assert changes == [pytest.approx(CUT, abs=FRAME)]
    assert "Local effects" in tracks["slides"][-1]["text"]
    assert "> Note" not in (run / "notes.md").read_text()


def test_the_variable_frame_rate_file_is_one(runs: dict[str, Path]) -> None:
    streams = _read(runs["talk-vfr.mp4"], "report.json")["media"]["streams"]
    video = Stream.model_validate(next(s for s in streams if s["kind"] == "video"))
    # 40 frames at 10 fps, then one every 0.3 s: an average rate far below the nominal 10, so
    # times computed as index / rate would put the 8.1 s cut near 10 s
    assert video.fps is not None and video.fps < 6
