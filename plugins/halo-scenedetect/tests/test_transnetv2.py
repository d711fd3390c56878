"""Extractor `transnetv2` on a real clip (short and small: TransNetV2 is slow on CPU)."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from halo_scenedetect import TransNetV2Extractor
from halo_scenedetect.transnet_extractor import cuts_from_probabilities, load_model
from scenedetect_support import FRAME, TOPIC_CUT, assert_tiles, run

from halo_core import Media, MediaError, RunContext


def test_finds_the_topic_change_frame_exactly(topic_clip: Media, ctx: RunContext) -> None:
    scenes = run(
        TransNetV2Extractor.from_options({"device": "cpu", "batch_windows": 2}), topic_clip, ctx
    )
    assert [s.start for s in scenes[1:]] == pytest.approx([TOPIC_CUT], abs=FRAME / 2)
    assert scenes[1].score > 0.9
    assert_tiles(scenes, topic_clip.duration)


def test_streamed_windows_equal_the_models_whole_video_prediction(
    topic_clip: Media, ctx: RunContext
) -> None:
    from halo_core import iter_frames

    frames = [
        f.pixels for f in iter_frames(topic_clip, 48, 27, "rgb24", ctx, interpolation="BICUBIC")
    ]
    model = load_model("cpu")
    extractor = TransNetV2Extractor.from_options({"batch_windows": 3})
    streamed = np.concatenate(list(extractor._predict(iter(frames), model)))[: len(frames)]
    whole, _ = model.predict_frames(torch.from_numpy(np.stack(frames)), quiet=True)
    np.testing.assert_allclose(streamed, whole.numpy(), atol=1e-5)


def test_loading_the_model_leaves_global_random_and_determinism_state_alone() -> None:
    from halo_scenedetect import transnet_extractor

    transnet_extractor._models.clear()  # force a fresh construction in this process
    torch.manual_seed(1234)
    random.seed(1234)
    np.random.seed(1234)
    expected = (torch.rand(3), random.random(), np.random.rand())
    torch.manual_seed(1234)
    random.seed(1234)
    np.random.seed(1234)
    load_model("cpu")
    assert torch.equal(torch.rand(3), expected[0])
    assert (random.random(), np.random.rand()) == expected[1:]
    assert not torch.are_deterministic_algorithms_enabled()


def test_a_file_without_video_is_a_clear_media_error(tone: Media, ctx: RunContext) -> None:
    with pytest.raises(MediaError, match="no video stream"):
        run(TransNetV2Extractor.from_options({}), tone, ctx)


def test_a_cut_opens_on_the_frame_after_the_peak_of_each_run() -> None:
    probs = np.array([0, 0.9, 0, 0, 0.6, 0.8, 0.7, 0, 0.4, 0])
    times = [i / 10 for i in range(len(probs))]
    cuts = cuts_from_probabilities(probs, times, threshold=0.5)
    assert [(c.time, c.score) for c in cuts] == [(0.2, 0.9), (0.6, 0.8)]
