"""Extractor `scenedetect` on real clips of the sample lecture."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import pytest
from halo_scenedetect import SceneDetect
from PIL import Image
from pydantic import ValidationError
from scenedetect_support import CLIP_CUTS, FIXTURES, FRAME, assert_tiles, run

from halo_core import DECODE_THREAD, Media, MediaError, RunContext


def starts(scenes: list) -> list[float]:
    return [round(s.start, 3) for s in scenes[1:]]


def test_defaults_find_text_only_slide_changes_and_ignore_the_presenter_inset(
    clip: Media, ctx: RunContext
) -> None:
    scenes = run(SceneDetect.from_options({}), clip, ctx)
    assert starts(scenes) == pytest.approx(CLIP_CUTS, abs=FRAME / 2)  # frame-exact
    assert_tiles(scenes, clip.duration)
    # the new topic (new layout and hue) is a stronger cut than a slide that swaps text
    assert scenes[3].score > max(scenes[1].score, scenes[2].score)


def test_content_detector_with_its_tuned_default_threshold(clip: Media, ctx: RunContext) -> None:
    scenes = run(SceneDetect.from_options({"detector": "content"}), clip, ctx)
    assert starts(scenes) == pytest.approx(CLIP_CUTS, abs=FRAME / 2)


def test_film_settings_miss_text_only_changes(clip: Media, ctx: RunContext) -> None:
    # PySceneDetect's own defaults (hsv weights, threshold 27): only the new topic is a cut,
    # which is why HALO's defaults differ
    film = {"detector": "content", "threshold": 27, "weights": {"hue": 1, "sat": 1, "lum": 1}}
    assert starts(run(SceneDetect.from_options(film), clip, ctx)) == pytest.approx(
        [31.5], abs=FRAME / 2
    )


def test_frame_skip_and_fixed_downscale_stay_within_the_skip(clip: Media, ctx: RunContext) -> None:
    scenes = run(SceneDetect.from_options({"frame_skip": 1, "downscale": 4}), clip, ctx)
    assert starts(scenes) == pytest.approx(CLIP_CUTS, abs=2 * FRAME + 1e-6)


def test_threshold_detector_finds_no_fade_in_a_clip_without_black(
    clip: Media, ctx: RunContext
) -> None:
    scenes = run(SceneDetect.from_options({"detector": "threshold"}), clip, ctx)
    assert len(scenes) == 1
    assert_tiles(scenes, clip.duration)


def test_min_scene_len_drops_cuts_too_close_together(clip: Media, ctx: RunContext) -> None:
    # counted from the start of the video: 2.6 s is too soon after 0, 17.1 and 31.5 are not
    scenes = run(SceneDetect.from_options({"min_scene_len": 10}), clip, ctx)
    assert starts(scenes) == pytest.approx(CLIP_CUTS[1:], abs=FRAME / 2)


def test_keyframes_are_written_one_per_scene_within_the_size_bound(
    clip: Media, ctx: RunContext
) -> None:
    scenes = run(SceneDetect.from_options({"keyframes": True, "keyframe_max_side": 320}), clip, ctx)
    paths = [Path(s.keyframe_path) for s in scenes if s.keyframe_path]
    assert len(paths) == len(scenes) == 4
    for path in paths:
        assert path.parent == ctx.work_dir / "keyframes"
        with Image.open(path) as image:
            assert image.format == "JPEG" and max(image.size) == 320
    assert not list((ctx.work_dir / "keyframes").glob(".*"))  # no temp files left behind


def test_progress_is_reported_in_media_seconds(clip: Media, tmp_path: Path) -> None:
    seen: list[tuple[float, float | None]] = []
    ctx = RunContext(
        stage="scenes",
        work_dir=tmp_path,
        on_progress=lambda stage, done, total: seen.append((done, total)),
    )
    run(SceneDetect.from_options({}), clip, ctx)
    assert seen[-1] == (clip.duration, clip.duration)
    assert len(seen) > 10 and all(b >= a for (a, _), (b, _) in zip(seen, seen[1:]))


def test_cancelling_stops_decoding_and_leaves_no_thread_behind(clip: Media, tmp_path: Path) -> None:
    ctx = RunContext(stage="scenes", work_dir=tmp_path)
    seen: list[float] = []

    def cancel_after_five_seconds(stage: str, done: float, total: float | None) -> None:
        seen.append(done)
        if done >= 5:
            ctx.cancelled.set()

    ctx.on_progress = cancel_after_five_seconds
    run(SceneDetect.from_options({}), clip, ctx)
    assert max(seen) < 10  # stopped long before the 36 s end
    assert not [t for t in threading.enumerate() if t.name == DECODE_THREAD]


def test_a_file_without_video_is_a_clear_media_error(tone: Media, ctx: RunContext) -> None:
    with pytest.raises(MediaError, match="no video stream") as caught:
        run(SceneDetect.from_options({}), tone, ctx)
    assert caught.value.where == str(tone.path) and "audio-only" in (caught.value.fix or "")


def _damaged_copy(tmp_path: Path, fraction: tuple[float, float]) -> Path:
    """lecture-clip.mp4 with a span of its media data (mdat) overwritten by seeded noise."""
    data = bytearray((FIXTURES / "lecture-clip.mp4").read_bytes())
    first, end = data.find(b"mdat") + 8, data.find(b"moov") - 8  # the index (moov) is kept
    lo, hi = first + int((end - first) * fraction[0]), first + int((end - first) * fraction[1])
    data[lo:hi] = random.Random(7).randbytes(hi - lo)
    path = tmp_path / f"damaged-{fraction[0]}-{fraction[1]}.mp4"
    path.write_bytes(bytes(data))
    return path


def test_a_file_whose_frames_cannot_be_decoded_is_a_clear_media_error(
    clip: Media, ctx: RunContext, tmp_path: Path
) -> None:
    broken = _damaged_copy(tmp_path, (0.0, 1.0))
    with pytest.raises(MediaError, match="none of the video frames can be decoded") as caught:
        run(SceneDetect.from_options({}), clip.model_copy(update={"path": broken}), ctx)
    assert caught.value.where == str(broken) and "ffmpeg" in (caught.value.fix or "")


def test_a_few_damaged_packets_are_skipped_with_a_warning(
    clip: Media, ctx: RunContext, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    damaged = _damaged_copy(tmp_path, (0.40, 0.45))
    scenes = run(SceneDetect.from_options({}), clip.model_copy(update={"path": damaged}), ctx)
    assert_tiles(scenes, clip.duration)
    assert "undecodable video packets" in caplog.text


def test_a_file_that_is_not_media_is_a_clear_media_error(
    clip: Media, ctx: RunContext, tmp_path: Path
) -> None:
    data = (FIXTURES / "lecture-clip.mp4").read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: len(data) // 3])  # the index (moov) is at the end: cut off
    with pytest.raises(MediaError, match="not a media file") as caught:
        run(SceneDetect.from_options({}), clip.model_copy(update={"path": truncated}), ctx)
    assert caught.value.where == str(truncated) and caught.value.fix


@pytest.mark.parametrize(
    "options",
    [
        {"detector": "histogram"},
        {"downscale": 0},
        {"threshold": -1},
        {"weights": {"hue": 0, "sat": 0, "lum": 0, "edges": 0}},
        {"frame_skipp": 1},
    ],
)
def test_bad_options_are_rejected(options: dict) -> None:
    with pytest.raises(ValidationError):
        SceneDetect.from_options(options)
