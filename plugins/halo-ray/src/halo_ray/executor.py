"""Executor `ray`: every input's stage graph as Ray work.

The driver (the `halo run` process) walks each job's graph: a stage whose artifact is already
stored is reused right there; every other stage becomes a `StageCall` sent to a pool of
long-lived worker actors. Independent stages — of one video or of different videos — run in
parallel, one per worker. A worker keeps the models it loaded (the core's model caches are per
process), so a model loads once per worker, not once per video. The driver stores each returned
artifact, so a finished stage is never computed again, whatever happens to a worker later.

A worker process that dies mid-stage (killed, out of memory, node lost) is replaced and the stage
retried, up to `retries` times; a stage that fails for real fails its own video only, with the
same message as the local executor.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from halo_core import BudgetExceeded, ComponentConfig, Executor, Job, JSONValue

from .cluster import connected
from .workers import StageResources, WorkerPool

_WAIT_S = 0.5  # how often the driver looks at interrupts and progress while stages run


class WorkerLost(RuntimeError):
    """A stage's worker process died more often than `retries` allows."""


class RayConfig(ComponentConfig):
    address: str | None = Field(
        None, description="a cluster to join: `auto`, `HOST:PORT` or `ray://HOST:PORT`; unset: "
        "the RAY_ADDRESS variable's cluster, else a private cluster on this machine (127.0.0.1 "
        "only) started for the run")
    workers: int | None = Field(
        None, ge=1, description="worker processes (stages at once); default: the cluster's CPUs")
    resources: dict[str, StageResources] = Field(
        default_factory=dict, description="per stage (e.g. `transcript`): `num_cpus`, `num_gpus`, "
        "`memory` (bytes) each of its workers reserves; those stages get workers of their own")
    retries: int = Field(
        2, ge=0, description="times a stage is retried when its worker process dies under it")
    store: str | None = Field(
        None, description="a folder every node reaches (a shared filesystem) for run folders and "
        "the artifact store; replaces the spec's `outputs`")


@dataclass
class _Progress:
    """One job's place in its graph."""

    job: Job
    done: set[str] = field(default_factory=set)
    started: set[str] = field(default_factory=set)
    running: int = 0

    @property
    def over(self) -> bool:
        if self.running:
            return False
        return self.job.error is not None or len(self.done) == len(self.job.graph.stages)


@dataclass
class _Call:
    state: _Progress
    stage: Any
    started_at: float
    attempts: int = 0


class RayExecutor(Executor[RayConfig]):
    name = "ray"
    version = "1"
    Config = RayConfig
    description = "every input's stages as Ray work, on a private or an existing cluster"

    def check(self) -> list[str]:
        try:
            import ray  # noqa: F401
        except ImportError as exc:  # pragma: no cover - ray is a dependency of this package
            return [f"ray cannot be imported ({exc}); pip install 'halo-ray'"]
        return []

    def outputs(self) -> str | None:
        return self.config.store

    def stats(self) -> dict[str, JSONValue]:
        return dict(self._stats)

    def run(self, jobs: Sequence[Job]) -> Iterator[Job]:
        self._stats: dict[str, JSONValue] = {"stage_calls": 0, "retries": 0}
        states: list[_Progress] = []
        for job in jobs:
            if job.start():
                states.append(_Progress(job))
            else:
                yield job  # cannot even start (bad input): nothing to schedule
        if not states:
            return
        env = {k: v for k, v in os.environ.items() if k.startswith(("HALO_", "HF_"))}
        with connected(self.config.address, num_cpus=self.config.workers, env_vars=env):
            import ray

            pool = WorkerPool(self.config.workers or max(1, int(ray.cluster_resources()
                                                                .get("CPU", 1))),
                              self.config.resources, env)
            batch = _Batch(states)
            try:
                yield from self._drive(states, pool, batch)
            except BaseException:
                for state in states:
                    state.job.cancelled.set()
                raise
            finally:
                self._stats["workers"] = pool.spawned
                self._stats["model_loads"] = list(pool.model_loads())
                pool.close()

    def _drive(self, states: list[_Progress], pool: WorkerPool, batch: _Batch) -> Iterator[Job]:
        import ray

        queue: deque[_Call] = deque()
        calls: dict[Any, _Call] = {}
        while states:
            for state in list(states):
                self._schedule(state, queue)
                if state.over:
                    states.remove(state)
                    batch.finished(state.job)
                    yield state.job
            while queue and pool.has_idle(queue[0].stage.name):
                call = queue.popleft()
                calls[pool.submit(call.stage.name, call.state.job.stage_call(call.stage))] = call
                self._count("stage_calls")
            if not calls:
                continue
            ready, _ = ray.wait(list(calls), num_returns=1, timeout=_WAIT_S)
            for ref in ready:
                call = calls.pop(ref)
                pool.release(ref)
                self._collect(ref, call, queue)

    def _schedule(self, state: _Progress, queue: deque[_Call]) -> None:
        """Reuse what is stored; queue the ready stages that are not."""
        job = state.job
        while job.error is None and not job.cancelled.is_set():
            ready = job.graph.ready(state.done, state.started)
            if not ready:
                return
            for stage in ready:
                state.started.add(stage.name)
                value = job.reuse(stage)
                if value is not None:
                    job.finish_stage(stage, value, 0.0, reused=True)
                    state.done.add(stage.name)
                else:
                    job.progress.start(stage.name, job.media.duration)
                    state.running += 1
                    queue.append(_Call(state, stage, time.monotonic()))

    def _collect(self, ref: Any, call: _Call, queue: deque[_Call]) -> None:
        import ray
        from ray.exceptions import RayActorError, RayTaskError, WorkerCrashedError

        state, stage, job = call.state, call.stage, call.state.job
        try:
            outcome = ray.get(ref)
        except (RayActorError, WorkerCrashedError) as exc:
            if call.attempts < self.config.retries:
                job.progress.message(f"{job.media.path.name}: the worker running "
                                     f"{stage.name!r} died ({type(exc).__name__}); retrying")
                call.attempts += 1
                self._count("retries")
                queue.appendleft(call)
                return
            self._failed(state, stage, job.stage_failure(stage, WorkerLost(
                f"its worker process died {call.attempts + 1} times ({exc}); the Ray logs "
                "(`ray logs`) say why — often memory: give the stage more with "
                "`executor.with.resources`")))
            return
        except RayTaskError as exc:
            cause = exc.cause if isinstance(exc.cause, BaseException) else exc
            # An LLM budget stop keeps its meaning (the runner ends the whole run, exit 3).
            self._failed(state, stage, cause if isinstance(cause, BudgetExceeded)
                         else job.stage_failure(stage, cause))
            return
        state.running -= 1
        job.finish_stage(stage, outcome.value, time.monotonic() - call.started_at,
                         tally=outcome.tally)
        state.done.add(stage.name)

    def _count(self, what: str) -> None:
        count = self._stats[what]
        assert isinstance(count, int)
        self._stats[what] = count + 1

    @staticmethod
    def _failed(state: _Progress, stage: Any, error: BaseException) -> None:
        state.running -= 1
        state.job.fail(stage, error)


class _Batch:
    """The whole run on one line: videos done of N, media hours done, ETA."""

    def __init__(self, states: Sequence[_Progress]) -> None:
        self.total = len(states)
        self.media_s = sum(s.job.media.duration or 0.0 for s in states)
        self.done = 0
        self.done_media_s = 0.0
        self.progress = states[0].job.progress
        self.progress.start("batch", self.media_s)

    def finished(self, job: Job) -> None:
        self.done += 1
        self.done_media_s += job.media.duration or 0.0
        self.progress.update("batch", self.done_media_s, self.media_s)
        self.progress.message(f"batch: {self.done} of {self.total} videos, "
                              f"{self.done_media_s / 3600:.2f} of {self.media_s / 3600:.2f} "
                              "media hours")
        if self.done == self.total:
            self.progress.finish("batch", reused=False)
