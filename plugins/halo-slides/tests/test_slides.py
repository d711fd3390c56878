"""Extractor `slides` on real frames: clips of generated lectures with their truth (see
fixtures/README.md), read by the real RapidOCR models, after the real `scenedetect` stage."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from conftest import Read
from halo_slides import SlidesExtractor
from slides_support import FIXTURES, recall, truth

from halo_core import DECODE_THREAD, Media, MediaError, RunContext, Timeline, probe


@pytest.fixture(params=["subtle", "contrast"])
def clip(request: pytest.FixtureRequest) -> tuple[Read, dict]:
    return request.getfixturevalue(request.param), truth(request.param)


def test_one_slide_text_per_slide_spanning_it(clip: tuple[Read, dict]) -> None:
    read, expected = clip
    assert [round(s.start, 1) for s in read.slides] == [0.0, *expected["cuts"]]
    assert read.slides[-1].end == pytest.approx(expected["duration"], abs=0.15)
    for slide in read.slides:
        assert slide.start <= slide.frame_time <= slide.end


def test_heading_and_bullet_words_are_read(clip: tuple[Read, dict]) -> None:
    read, expected = clip
    for slide, want in zip(read.slides, expected["slides"], strict=True):
        assert slide.heading == want["title"]  # the largest text at the top
        assert [line.role for line in slide.lines][0] == "heading"
        body = "\n".join(line.text for line in slide.lines if line.role == "body")
        assert recall(" ".join([want["heading"], *want["bullets"]]), body) >= 0.95, body
        assert all(0 < line.confidence <= 1 for line in slide.lines)


def test_spelling_a_speech_model_gets_wrong_is_read_right(contrast: Read) -> None:
    # the bundled speech model hears "a kanaki fragment"; the slide spells it
    assert "Lagging strand: Okazaki fragments" in contrast.slides[1].text.splitlines()


def test_page_numbers_footer_and_logo_text_are_left_out(clip: tuple[Read, dict]) -> None:
    read, expected = clip
    for slide, want in zip(read.slides, expected["slides"], strict=True):
        lines = slide.text.splitlines()
        assert not [line for line in lines if expected["footer"].casefold() in line.casefold()]
        assert str(want["number"]) not in lines
        assert want["field"].casefold() not in slide.text.casefold()


def test_the_presenter_inset_is_ignored(subtle: Read) -> None:
    inset = truth("subtle")["presenter_inset"]
    width, height = 640, 360
    x0, y0 = inset["x"] / width, inset["y"] / height
    x1, y1 = (inset["x"] + inset["width"]) / width, (inset["y"] + inset["height"]) / height
    for slide in subtle.slides:
        for line in slide.lines:
            assert not (
                line.box[2] > x0 and line.box[0] < x1 and line.box[3] > y0 and line.box[1] < y1
            )
    # the inset moves in every frame, yet the slides are read once each
    assert "3 steady stretches, 3 OCR reads, 3 slides" in subtle.log


def test_line_boxes_are_fractions_of_the_frame_in_reading_order(clip: tuple[Read, dict]) -> None:
    read, _ = clip
    for slide in read.slides:
        body = [line for line in slide.lines if line.role == "body"]
        assert [line.box[1] for line in body] == sorted(line.box[1] for line in body)
        for line in slide.lines:
            x0, y0, x1, y1 = line.box
            assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1


def test_without_a_scenes_track_the_picture_changes_open_the_stretches(
    subtle: Read, tmp_path: Path
) -> None:
    alone = Read(subtle.media, Timeline(duration=subtle.media.duration), tmp_path)
    assert [s.text for s in alone.slides] == [s.text for s in subtle.slides]
    # sampled twice a second: a change is seen within one sample of the cut
    for found, cut in zip(alone.slides[1:], truth("subtle")["cuts"]):
        assert cut - 0.05 <= found.start <= cut + 0.55


def test_progress_is_reported_in_media_seconds_and_cancelling_stops(
    contrast: Read, tmp_path: Path
) -> None:
    seen: list[float] = []
    ctx = RunContext(stage="slides", work_dir=tmp_path)

    def cancel_at_five_seconds(stage: str, done: float, total: float | None) -> None:
        assert total == pytest.approx(contrast.media.duration)
        seen.append(done)
        if done >= 5:
            ctx.cancelled.set()

    ctx.on_progress = cancel_at_five_seconds
    slides = SlidesExtractor.from_options({}).extract(contrast.media, contrast.timeline, ctx)
    assert slides == [] and 5 <= max(seen) < 8
    assert seen == sorted(seen)
    assert not [t for t in threading.enumerate() if t.name == DECODE_THREAD]


def test_a_file_without_video_is_a_clear_media_error(tone: Media, tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="no video stream: slide text recognition") as caught:
        SlidesExtractor.from_options({}).extract(
            tone, Timeline(duration=tone.duration), RunContext(work_dir=tmp_path)
        )
    assert caught.value.where == str(tone.path) and "audio-only" in (caught.value.fix or "")


def test_a_file_that_is_not_media_is_a_clear_media_error(tmp_path: Path) -> None:
    media = probe(FIXTURES / "contrast-clip.mp4")
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes((FIXTURES / "contrast-clip.mp4").read_bytes()[:2000])
    with pytest.raises(MediaError, match="not a media file"):
        SlidesExtractor.from_options({}).extract(
            media.model_copy(update={"path": truncated}),
            Timeline(duration=media.duration),
            RunContext(work_dir=tmp_path),
        )
