"""Worker actors: long-lived processes that compute stages and keep the models they load.

Stages run on a shared pool of actors (one CPU each) unless `executor.with.resources` names them:
such a stage gets its own pool whose actors reserve what it asks for (a GPU for `transcript`,
more memory for a diarizer...). Each actor computes one stage at a time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from halo_core import StageCall, StageOutcome, model_loads


class StageResources(BaseModel):
    """What each worker of one stage reserves on the cluster."""

    model_config = ConfigDict(extra="forbid")

    num_cpus: float = Field(1.0, ge=0)
    num_gpus: float = Field(0.0, ge=0)
    memory: int | None = Field(None, ge=1, description="bytes")


class StageWorker:
    """The actor class (wrapped with `ray.remote` by the pool)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        os.environ.update(env)

    def run(self, call: StageCall) -> StageOutcome:
        return call.run()

    def model_loads(self) -> int:
        """Models this process loaded (the core's model caches count them)."""
        return model_loads()

    def pid(self) -> int:
        return os.getpid()


class WorkerPool:
    """`size` actors per resource profile, created on first use; a dead one is replaced."""

    def __init__(self, size: int, resources: Mapping[str, StageResources],
                 env: Mapping[str, str]) -> None:
        self.size = size
        self.resources = dict(resources)
        self.env = dict(env)
        self._idle: dict[str, list[Any]] = {}
        self._all: dict[str, list[Any]] = {}
        self._busy: dict[Any, tuple[str, Any]] = {}  # object ref -> (profile, actor)
        self.spawned = 0

    def _profile(self, stage: str) -> str:
        return stage if stage in self.resources else ""

    def _spawn(self, profile: str) -> Any:
        import ray

        wanted = self.resources.get(profile, StageResources())
        options: dict[str, Any] = {"num_cpus": wanted.num_cpus, "num_gpus": wanted.num_gpus,
                                   "max_concurrency": 1}
        if wanted.memory:
            options["memory"] = wanted.memory
        actor = ray.remote(StageWorker).options(**options).remote(self.env)
        self._all.setdefault(profile, []).append(actor)
        self.spawned += 1
        return actor

    def has_idle(self, stage: str) -> bool:
        profile = self._profile(stage)
        idle = self._idle.setdefault(profile, [])
        if not idle and len(self._all.get(profile, [])) < self.size:
            idle.append(self._spawn(profile))
        return bool(idle)

    def submit(self, stage: str, call: StageCall) -> Any:
        profile = self._profile(stage)
        actor = self._idle[profile].pop()
        ref = actor.run.remote(call)
        self._busy[ref] = (profile, actor)
        return ref

    def release(self, ref: Any) -> None:
        """The call behind `ref` is over: its actor is idle again, or replaced if it died."""
        import ray
        from ray.exceptions import RayActorError

        profile, actor = self._busy.pop(ref)
        try:
            ray.get(actor.pid.remote())
        except RayActorError:
            self._all[profile].remove(actor)
            return  # has_idle spawns a new one when needed
        self._idle[profile].append(actor)

    def model_loads(self) -> list[int]:
        """Per live worker, how many models it loaded."""
        import ray

        actors = [a for group in self._all.values() for a in group]
        return list(ray.get([a.model_loads.remote() for a in actors]))

    def close(self) -> None:
        import ray

        for group in self._all.values():
            for actor in group:
                ray.kill(actor)
        self._all.clear()
        self._idle.clear()
        self._busy.clear()
