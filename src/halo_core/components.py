"""Component contracts: the base classes plugins subclass.

A component has a `name` (what a spec's `use:` says), a `version` (part of every cache key, so bump
it when output changes), and a pydantic `Config` (what a spec's `with:` is validated against;
unknown keys are errors). It is built from a validated config, loads heavy models lazily on first
use, and reports through the `RunContext` it is handed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict

from .context import RunContext
from .model import Chunk, CostLadder, JSONValue, LLMRequest, LLMResponse, Media, Timeline
from .models import ModelRef

if TYPE_CHECKING:
    from .job import Job

Kind = Literal["extractor", "chunker", "embedder", "vector_index", "cache", "llm", "executor"]
"""Every component kind; `kinds.KINDS` says, per kind, its base class, hook and spec field."""


class ComponentConfig(BaseModel):
    """Base for every component's `Config`: unknown keys are rejected, not ignored."""

    model_config = ConfigDict(extra="forbid")


C = TypeVar("C", bound=ComponentConfig)


class Component(Generic[C]):
    kind: ClassVar[Kind]
    name: ClassVar[str]
    version: ClassVar[str] = "1"
    Config: ClassVar[type[ComponentConfig]] = ComponentConfig
    description: ClassVar[str] = ""

    def __init__(self, config: C | None = None) -> None:
        self.config: C = config if config is not None else self.Config()  # type: ignore[assignment]

    @classmethod
    def from_options(cls, options: dict[str, Any] | None = None) -> Component[C]:
        return cls(cls.Config.model_validate(options or {}))  # type: ignore[arg-type]

    def check(self) -> list[str]:
        """Problems that would stop this component from running, found cheaply (no model load).

        Each is one sentence saying what is missing and how to get it. `halo validate` and the
        runner call this before any work starts.
        """
        return []

    def identity(self) -> dict[str, JSONValue]:
        """What makes this component's output what it is: part of every artifact and cache key."""
        return {
            "name": self.name,
            "version": self.version,
            "config": self.config.model_dump(mode="json"),
        }

    def models(self) -> list[ModelRef[Any, Any]]:
        """The models this component loads (`ModelRef`: its `ModelCache`, key and loader), named
        without loading them. A run loads them ahead, while this component's stage still waits
        for its inputs, and releases an extractor's after the last stage that runs it (over
        every input of the run). Default: none (models load on first use and stay)."""
        return []


class Extractor(Component[C]):
    """Reads media (and earlier tracks) and produces one track of the timeline."""

    kind: ClassVar[Kind] = "extractor"
    provides: ClassVar[str]
    requires: ClassVar[tuple[str, ...]] = ()
    media_needs: ClassVar[frozenset[Literal["audio", "video"]]] = frozenset()

    def extract(self, media: Media, timeline: Timeline, ctx: RunContext) -> list[Any]:
        """Return the segments of the `provides` track, in any order."""
        raise NotImplementedError

    def reads(self, media: Media) -> list[Path]:
        """Files besides `media` that `extract` would read for it (a sidecar subtitle file, …).
        Their contents are part of the stage's key, so an edited file is read again rather than
        served from the stored track. Default: none."""
        return []


class Chunker(Component[C]):
    kind: ClassVar[Kind] = "chunker"

    def chunk(self, timeline: Timeline, media: Media, ctx: RunContext) -> list[Chunk]:
        """Return chunks that tile [0, media.duration] in order, with no gap and no overlap."""
        raise NotImplementedError


class Embedder(Component[C]):
    kind: ClassVar[Kind] = "embedder"

    @property
    def dim(self) -> int:
        raise NotImplementedError

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, dim) float32 array of L2-normalized vectors."""
        raise NotImplementedError


class VectorIndex(Component[C]):
    kind: ClassVar[Kind] = "vector_index"

    def add(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Add or replace vectors by id."""
        raise NotImplementedError

    def search(self, vectors: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        """For each query row, up to k (id, inner-product score) pairs, best first."""
        raise NotImplementedError

    def remove(self, ids: Sequence[str]) -> None:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def save(self, path: Path) -> None:
        raise NotImplementedError

    def load(self, path: Path) -> None:
        raise NotImplementedError


class CacheBackend(Component[C]):
    """A namespaced key-value store of JSON-safe values, with TTL and a size bound (LRU).

    TTLs count in `clock()` seconds (wall time, `time.time`); tests replace the clock of an
    instance (`cache.clock = FakeClock(...)`) instead of sleeping.
    """

    kind: ClassVar[Kind] = "cache"
    clock: Callable[[], float] = time.time

    def get(self, namespace: str, key: str) -> JSONValue | None:
        raise NotImplementedError

    def set(self, namespace: str, key: str, value: JSONValue, ttl: float | None = None) -> None:
        raise NotImplementedError

    def delete(self, namespace: str, key: str) -> bool:
        raise NotImplementedError

    def scan(self, namespace: str) -> Iterator[tuple[str, JSONValue]]:
        raise NotImplementedError

    def stats(self) -> dict[str, int]:
        """Entry counts by namespace."""
        raise NotImplementedError

    def clear(self, namespace: str | None = None) -> int:
        """Remove every entry (of one namespace, when given); return how many."""
        raise NotImplementedError

    def close(self) -> None:
        return None


class LLMBackend(Component[C]):
    """Answers `LLMRequest`s. Required: `model`, `generate`, `count_tokens`.

    Optional capabilities (the defaults are right for a backend without them):
    - `max_concurrency`: parallel `generate` calls the core may make (map phases).
    - `accepts_clips`: requests may carry `clips` (time spans of the media) for the backend to
      send; the core attaches them to answer requests only when this is True.
    - `prefers_batch` / `generate_many`: a backend with a cheaper way to answer many independent
      requests at once (a batch API) says so with `prefers_batch`, and the core then hands the
      map phase to `generate_many` in one call instead of calling `generate` per request.
    - raising `TransientLLMError` once its own retries are spent lets the gateway switch to the
      spec's `llm.fallback` backends for the rest of the run.
    - `cost_ladder`: with a budget, the per-chunk settings (`ChunkSetting`: transcript or video
      clip, fps, media resolution, model) a cost planner may choose from; the backend then
      honours `LLMRequest.setting` over its own configuration (and keeps it in its count and
      its estimate). None (the default): no per-chunk planning.
    """

    kind: ClassVar[Kind] = "llm"
    max_concurrency: ClassVar[int] = 1
    accepts_clips: ClassVar[bool] = False

    @property
    def model(self) -> str:
        """The default model's name (part of cache keys)."""
        raise NotImplementedError

    def generate(self, request: LLMRequest) -> LLMResponse:
        """Answer one request, with measured usage and cost."""
        raise NotImplementedError

    def count_tokens(self, request: LLMRequest) -> int:
        """Input tokens the request would cost, without generating."""
        raise NotImplementedError

    @property
    def prefers_batch(self) -> bool:
        """True when `generate_many` is cheaper than one `generate` per request."""
        return False

    def generate_many(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        """Answers for many independent requests, in order (default: `generate` one by one)."""
        return [self.generate(request) for request in requests]

    def cost_ladder(self) -> CostLadder | None:
        """The settings a per-chunk cost planner may choose from, with the run's budget."""
        return None


class Executor(Component[C]):
    """Decides when and where the stages of a run run: `local` (in this process), `ray`...

    `run(jobs)` gets one `Job` per input of the run (`halo_core.Job`: the input, and once
    started its media and its stage graph `job.graph`). For each job it calls `job.start()`
    (probes the media, plans the stages this media can feed, marks the run folder in progress;
    False when the input cannot run: skip its stages), runs every stage of `job.graph.stages`
    after the stages it reads (`stage.inputs`; the tuple is already in a valid order), then
    yields the job — once, when it finished or failed; the runner then writes its report. The
    runner stops iterating after an LLM budget stop: an executor starts no further job then.
    `job.pipeline.spec.max_workers` is the spec's bound on concurrent stages.

    Running one stage, two ways:
    - in this process: `job.run_stage(stage)` reuses the stored artifact or computes it, stores
      it, reports progress and writes the outputs that became ready. Thread-safe across stages.
    - elsewhere: `job.reuse(stage)` returns the stored artifact (or None). Otherwise
      `job.stage_call(stage)` is a picklable `StageCall` (the stored spec, the stage, the media,
      its input artifacts and their keys: JSON values and pydantic models); `call.run()` in
      another process rebuilds the pipeline from the spec and the registry there (the same
      plugins must be installed, and the run folder and artifact store must be reachable at
      the same paths), computes the stage and returns a `StageOutcome`: its artifact (JSON)
      and its LLM calls' counts. Hand both to `job.finish_stage(stage, outcome.value, wall_s,
      tally=outcome.tally)` in the driver. Stage objects are frozen dataclasses holding names
      only; components are never pickled.

    A stage that raises fails its job: record it with `job.fail(stage, exc)` (what
    `run_stage` does itself) and start none of the job's later stages. Components in this
    process are shared by all jobs; `job.cancelled` is set on interrupt.
    """

    kind: ClassVar[Kind] = "executor"

    def run(self, jobs: Sequence[Job]) -> Iterator[Job]:
        raise NotImplementedError

    def outputs(self) -> str | None:
        """A folder that replaces the spec's `outputs` for run folders and the artifact store
        (a shared filesystem every worker reaches), or None to keep the spec's."""
        return None

    def stats(self) -> dict[str, JSONValue]:
        """What the executor did in its last `run` (workers, model loads per worker, stage
        calls, retries...): the `executor` part of the run's batch.json."""
        return {}
