"""Models over a run: loaded ahead while the stage that needs them waits for its inputs, released
after the last stage (of the last input) that needs them, never loaded by a run that reuses every
stage; `ModelCache.release` and the `ModelUses` ledger on their own."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_resume import write_spec

from halo_core import Extractor, ModelCache, ModelRef, ModelUses, Signal, hookimpl
from halo_core.runner import run
from halo_core.spec import load_spec


class LoggedCache(ModelCache[str, str]):
    """A model cache that logs each release into `events`."""

    def __init__(self, events: list[tuple[str, str]]) -> None:
        super().__init__()
        self.events = events

    def release(self, key: str) -> bool:
        found = super().release(key)
        if found:
            self.events.append(("released", key))
        return found


class Models:
    """Two models with counting loaders; `ahead` is set when the second one has loaded;
    `events` lists each extractor's end (by input stem) and each release, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.cache = LoggedCache(self.events)
        self.ahead = threading.Event()
        self.seen: list[tuple[str, int, int]] = []  # (input stem, loads, releases) in reads-a

    def ref(self, name: str) -> ModelRef[str, str]:
        def load() -> str:
            if name == "b":
                self.ahead.set()
            return f"model {name}"

        return ModelRef(self.cache, name, load)


@pytest.fixture
def models(register_plugin: Callable[..., str]) -> Iterator[Models]:
    state = Models()

    class HeavyA(Extractor):
        """Uses model a; waits (10 s at most) for model b, which only a load ahead brings."""

        name = "heavy-a"
        provides = "heavy_a"

        def models(self) -> list[ModelRef[Any, Any]]:
            return [state.ref("a")]

        def extract(self, media, timeline, ctx):  # noqa: ANN001, ANN201
            state.ref("a").load()
            state.ahead.wait(timeout=10)
            state.events.append(("heavy-a done", media.path.stem))
            return [Signal(start=0, end=media.duration, label="a")]

    class ReadsA(Extractor):
        """Uses model b, after heavy-a: records what the cache did so far."""

        name = "reads-a"
        provides = "reads_a"
        requires = ("heavy_a",)

        def models(self) -> list[ModelRef[Any, Any]]:
            return [state.ref("b")]

        def extract(self, media, timeline, ctx):  # noqa: ANN001, ANN201
            state.seen.append((media.path.stem, state.cache.loads, state.cache.releases))
            state.ref("b").load()
            state.events.append(("reads-a done", media.path.stem))
            return [Signal(start=0, end=media.duration, label="b")]

    class Plugin:
        @hookimpl
        def register_extractors(self, register: Any) -> None:
            register(HeavyA)
            register(ReadsA)

    register_plugin(Plugin())
    yield state


def black_video(path: Path, seconds: int) -> Path:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"color=c=black:s=64x64:d={seconds}",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    return path


def spec_over(tmp_path: Path, inputs: list[Path]) -> Path:
    return write_spec(tmp_path, extractors="[{use: heavy-a}, {use: reads-a}]", inputs=inputs)


def test_a_model_loads_ahead_and_is_released_after_its_last_stage(
    tmp_path: Path, models: Models
) -> None:
    video = black_video(tmp_path / "one.mp4", 1)

    result = run(load_spec(spec_over(tmp_path, [video])))[0]

    assert result.error is None, result.error
    assert models.ahead.is_set()
    # when reads-a started, both models had loaded (b ahead, while heavy-a ran) and a was released
    assert models.seen == [("one", 2, 1)]
    assert (models.cache.loads, models.cache.releases) == (2, 2)


def test_a_batch_releases_a_model_only_after_the_last_input_used_it(
    tmp_path: Path, models: Models
) -> None:
    first, second = black_video(tmp_path / "first.mp4", 1), black_video(tmp_path / "second.mp4", 2)

    results = run(load_spec(spec_over(tmp_path, [first, second])))

    assert [r.error for r in results] == [None, None]
    # the inputs' stages interleave as the executor schedules them: order by events, not by
    # what reads-a happened to see
    events = models.events
    for model, stage in (("a", "heavy-a done"), ("b", "reads-a done")):
        released = events.index(("released", model))
        assert all(events.index((stage, stem)) < released for stem in ("first", "second"))
    assert (models.cache.loads, models.cache.releases) == (2, 2)  # once each over the batch


def test_a_run_that_reuses_every_stage_loads_no_model(tmp_path: Path, models: Models) -> None:
    spec = spec_over(tmp_path, [black_video(tmp_path / "one.mp4", 1)])
    run(load_spec(spec))
    loads = models.cache.loads

    again = run(load_spec(spec))[0]

    assert all(s.reused for s in again.report.stages)
    assert models.cache.loads == loads


def test_a_failed_input_gives_back_the_uses_of_the_stages_it_will_not_run(
    tmp_path: Path, models: Models
) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    video = black_video(tmp_path / "one.mp4", 1)

    results = run(load_spec(spec_over(tmp_path, [video, broken])))

    assert results[0].error is None and results[1].error is not None
    assert models.cache.releases == models.cache.loads == 2


def test_release_forgets_a_value_and_the_next_get_loads_it_again() -> None:
    cache: ModelCache[str, object] = ModelCache()
    first = cache.get("tiny", object)

    assert cache.release("tiny") and not cache.release("tiny")
    assert cache.get("tiny", object) is not first
    assert (cache.loads, cache.releases) == (2, 1)


@given(st.lists(st.sampled_from("abc"), max_size=12))
def test_a_model_is_released_exactly_when_its_last_expected_use_is_done(uses: list[str]) -> None:
    cache: ModelCache[str, str] = ModelCache()
    refs = {name: ModelRef(cache, name, lambda name=name: name) for name in "abc"}
    ledger = ModelUses()
    ledger.keep([refs["c"]])
    ledger.expect(refs[name] for name in uses)
    for ref in refs.values():
        ref.load()
    released = []
    for n, name in enumerate(uses):
        released += ledger.done([refs[name]])
        still_expected = set(uses[n + 1 :])
        assert {r.key for r in released} == (set(uses[: n + 1]) - still_expected) - {"c"}
    assert cache.releases == len({*uses} - {"c"})
