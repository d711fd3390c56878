from __future__ import annotations

import ctranslate2
import pytest
from conftest import FIXTURES, LECTURE, clip_sentences, run
from halo_whisper import faster
from halo_whisper.faster import FasterWhisper, load_model
from halo_whisper.metrics import normalize, word_error_rate
from halo_whisper.quality import mean_confidence
from pydantic import ValidationError

from halo_core import Media, MediaError, RunContext, join_words, probe


def test_transcript_matches_the_spoken_text(clip_transcript) -> None:
    reference = " ".join(s["text"] for s in clip_sentences())
    hypothesis = " ".join(s.text for s in clip_transcript)
    assert word_error_rate(reference, hypothesis) < 0.35  # measured 0.28 with tiny.en, beam 5


def test_real_telephone_speech_is_transcribed(sample_transcript) -> None:
    lines = (FIXTURES / "sample.stm").read_text().splitlines()
    reference = " ".join(line.split(None, 5)[5] for line in lines)
    hypothesis = " ".join(s.text for s in sample_transcript)
    assert word_error_rate(reference, hypothesis) < 0.2  # measured 0.12 with tiny.en, beam 5


def test_words_fall_inside_the_sentences_that_say_them(clip_transcript) -> None:
    sentences = clip_sentences()
    words = [w for s in clip_transcript for w in s.words]
    assert len(words) > 40
    for word in words:
        middle = (word.start + word.end) / 2
        assert any(s["start"] - 0.5 <= middle <= s["end"] + 0.5 for s in sentences), word
        assert 0 <= word.confidence <= 1
    for sentence in sentences:  # every sentence starts with a word near its true start
        assert min(abs(w.start - sentence["start"]) for w in words) < 0.6, sentence["text"]


def test_words_rebuild_their_segment_text_as_said(clip_transcript, sample_transcript) -> None:
    """Words keep the recogniser's spacing: joined as they are, they are the segment's text."""
    for segment in [*clip_transcript, *sample_transcript]:
        assert join_words(w.text for w in segment.words) == " ".join(segment.text.split())
        assert segment.words[0].text.startswith(" ")


def test_segments_are_ordered_and_carry_language_and_confidence(clip_transcript) -> None:
    starts = [s.start for s in clip_transcript]
    assert starts == sorted(starts)
    for segment in clip_transcript:
        assert segment.language == "en"
        assert segment.words and segment.words[0].start >= segment.start - 0.01
        assert segment.confidence == pytest.approx(
            sum(w.confidence for w in segment.words) / len(segment.words), abs=1e-3
        )


def test_vad_keeps_silence_free_of_text() -> None:
    silence = probe(FIXTURES / "silence.m4a")
    assert run(FasterWhisper(), silence) == []


def test_a_file_without_audio_is_a_clear_media_error() -> None:
    video = probe(FIXTURES / "video_only.mp4")
    with pytest.raises(MediaError, match="no audio stream") as error:
        run(FasterWhisper(), video)
    assert "video_only.mp4" in error.value.message and "fix:" in error.value.message


def test_corrupt_packets_are_skipped_without_shifting_later_speech(logged) -> None:
    corrupt = probe(FIXTURES / "corrupt.m4a")  # 40 % of the bytes overwritten with noise
    segments = run(FasterWhisper(), corrupt)
    assert "undecodable audio packets" in logged.text
    # Compare words, not segments: whisper may open its last segment with the tail of the
    # sentence before ("... well to metal type."), so a segment start is no sentence start.
    words = [w for s in segments for w in s.words]
    last = clip_sentences()[-1]
    first_word = normalize(last["text"])[0]
    heard = [w.start for w in words if normalize(w.text) == [first_word]]
    assert heard, f"{first_word!r} not heard"
    assert abs(heard[-1] - last["start"]) < 0.6  # still on the media's clock
    assert abs(words[-1].end - last["end"]) < 0.6


def test_foreign_speech_through_an_english_model_is_flagged(logged) -> None:
    german = probe(FIXTURES / "german.m4a")
    segments = run(FasterWhisper.from_options({"beam_size": 1}), german)
    confidence = mean_confidence(segments)
    assert confidence is None or confidence < 0.5
    if segments:
        assert "probably not English" in logged.text


def test_progress_is_reported_in_media_seconds(clip: Media) -> None:
    calls: list[tuple[float, float | None]] = []
    ctx = RunContext(on_progress=lambda stage, done, total: calls.append((done, total)))
    run(FasterWhisper.from_options({"beam_size": 1}), clip, ctx=ctx)
    done = [d for d, _ in calls]
    assert len(calls) >= 3 and done == sorted(done)
    assert calls[-1] == (pytest.approx(clip.duration), clip.duration)


def test_the_model_loads_once_per_process(clip: Media, clip_transcript) -> None:
    loads = faster.MODELS.loads
    run(FasterWhisper.from_options({"beam_size": 1}), clip)
    run(FasterWhisper.from_options({"beam_size": 2, "vad": False}), clip)
    assert faster.MODELS.loads == loads
    assert load_model("bundled", "cpu", "int8", 0) is load_model("bundled", "cpu", "int8", 0)


def test_batched_inference_gives_the_same_words(clip: Media) -> None:
    reference = " ".join(s["text"] for s in clip_sentences())
    segments = run(FasterWhisper.from_options({"batch_size": 4}), clip)
    assert word_error_rate(reference, " ".join(s.text for s in segments)) < 0.35
    assert all(s.words for s in segments)


def test_check_names_what_is_missing(tmp_path) -> None:
    assert FasterWhisper().check() == []
    problems = FasterWhisper.from_options({"model": str(tmp_path / "nowhere")}).check()
    assert len(problems) == 1 and "no model.bin" in problems[0]
    cuda_problems = FasterWhisper.from_options({"device": "cuda"}).check()
    if ctranslate2.get_cuda_device_count() == 0:
        assert any("no GPU" in p for p in cuda_problems)
    else:
        assert cuda_problems == []


def test_config_rejects_unknown_and_invalid_options() -> None:
    with pytest.raises(ValidationError):
        FasterWhisper.from_options({"beam": 5})
    with pytest.raises(ValidationError):
        FasterWhisper.from_options({"beam_size": 0})


def test_an_interrupted_transcription_resumes_at_its_last_finished_window(
    tmp_path, caplog
) -> None:
    lecture = probe(LECTURE)  # 149 s: five 30 s windows
    options = {"beam_size": 1, "window_s": 30}
    whole = run(FasterWhisper.from_options(options), lecture,
                ctx=RunContext(work_dir=tmp_path / "whole", resumable=True))

    interrupted = RunContext(work_dir=tmp_path / "stage", resumable=True)

    def stop_in_the_first_window(stage: str, done: float, total: float | None) -> None:
        interrupted.cancelled.set()  # as Ctrl-C or a lost worker would, mid-window

    interrupted.on_progress = stop_in_the_first_window
    partial = run(FasterWhisper.from_options(options), lecture, ctx=interrupted)
    assert partial and partial[-1].end < 40  # cut short after its first window

    with caplog.at_level("INFO", logger="halo"):
        resumed = run(FasterWhisper.from_options(options), lecture,
                      ctx=RunContext(work_dir=tmp_path / "stage", resumable=True))
    assert "1 window(s) resumed from the checkpoint" in caplog.text
    assert [s.model_dump() for s in resumed] == [s.model_dump() for s in whole]


def test_outside_a_run_nothing_is_kept(clip: Media, tmp_path) -> None:
    run(FasterWhisper.from_options({"beam_size": 1}), clip, ctx=RunContext(work_dir=tmp_path))
    assert not (tmp_path / "checkpoint").exists()
