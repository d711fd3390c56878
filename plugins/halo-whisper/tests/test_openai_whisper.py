from __future__ import annotations

import importlib.util

from halo_whisper.openai_whisper import OpenAIWhisper


def test_check_says_how_to_install_or_what_checkpoint_is_missing(tmp_path) -> None:
    missing = tmp_path / "tiny.en.pt"
    problems = OpenAIWhisper.from_options({"model": str(missing)}).check()
    assert len(problems) == 1
    if importlib.util.find_spec("whisper") is None:
        assert 'pip install "halo-whisper[openai]"' in problems[0]
    else:
        assert str(missing) in problems[0] and "does not exist" in problems[0]
