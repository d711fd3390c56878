"""A stage as a picklable call, for executors that run stages in other processes: the stored
spec, the stage, the media, its inputs' values and keys. `run()` rebuilds the pipeline from the
spec with the registry of the process it runs in (the same plugins must be installed there)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .build import build
from .context import RunContext
from .errors import SpecError
from .gateway import Tally
from .model import JSONValue
from .spec import load_stored_spec
from .stages import Given, Stage


@dataclass(frozen=True)
class StageCall:
    """One stage to compute in another process: picklable (the stored spec, the stage, the
    media, its inputs' decoded values and keys). `run()` rebuilds the pipeline from the spec
    and the registry of the process it runs in, and returns the stage's artifact."""

    spec: dict[str, Any]
    spec_dir: Path
    stage: Stage
    given: Given
    work_dir: Path
    llm_switched: int = 0
    """how far along the LLM fallback chain the run is: the call starts there"""

    def run(self) -> StageOutcome:
        pipeline = build(load_stored_spec(self.spec, self.spec_dir))
        if isinstance(pipeline, list):
            raise SpecError(pipeline, path=str(self.spec_dir))
        try:
            ctx = RunContext(stage=self.stage.name, work_dir=self.work_dir, resumable=True)
            gateway = pipeline.gateway()
            gateway.advance_to(self.llm_switched)
            value = self.stage.compute(pipeline, gateway, self.given, ctx)
            return StageOutcome(value, gateway.tally())
        finally:
            pipeline.close()


@dataclass(frozen=True)
class StageOutcome:
    """What `StageCall.run` returns: the stage's artifact, and its LLM calls' counts for the
    run's report (`Job.finish_stage(..., tally=outcome.tally)`)."""

    value: JSONValue
    tally: Tally
