from __future__ import annotations

import importlib.util

from conftest import FIXTURES, clip_sentences
from halo_whisper.audio import stream_windows
from halo_whisper.openai_whisper import OpenAIWhisper, speech_clips


def test_check_says_how_to_install_or_what_checkpoint_is_missing(tmp_path) -> None:
    missing = tmp_path / "tiny.en.pt"
    problems = OpenAIWhisper.from_options({"model": str(missing)}).check()
    assert len(problems) == 1
    if importlib.util.find_spec("whisper") is None:
        assert 'pip install "halo-whisper[openai]"' in problems[0]
    else:
        assert str(missing) in problems[0] and "does not exist" in problems[0]


def test_vad_clips_cover_the_speech_and_skip_silence() -> None:
    silence = next(stream_windows(FIXTURES / "silence.m4a", 120.0))
    assert speech_clips(silence.samples) == []
    speech = next(stream_windows(FIXTURES / "lecture_question.m4a", 120.0))
    clips = speech_clips(speech.samples)
    spans = list(zip(clips[::2], clips[1::2]))
    for sentence in clip_sentences():
        middle = (sentence["start"] + sentence["end"]) / 2
        assert any(start <= middle <= end for start, end in spans), sentence["text"]
