"""`halo run SPEC --estimate`: per input and in total, the requests, tokens and dollars a run's LLM
work would spend, and the naive whole-video cost beside it, with no generation call.

The run's own stages run with the LLM replaced by an `Estimator` (halo_core.estimate): the
extractors, chunker and index really run (their artifacts are stored and reused as in any run),
while the summary and Q&A stages send every request they would send to the estimator, which
plans it on the real backend (counted prompt, expected reply, today's price). Their placeholder
results are never stored, and outputs go to a temporary folder, never the run's.

With `llm.with.max_cost_usd` and a backend that offers per-chunk settings (`cost_ladder`), the
run's `plan` stage (`chunk_plan.py`) chooses each chunk's setting, and the estimate prints that
plan's table and prices the run as planned; when even the cheapest plan does not fit, it says
so (exit 3, as the budget stop).
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .artifacts import ArtifactStore
from .build import Pipeline, build
from .builtins.caches import MemoryCache
from .builtins.local_executor import run_stages
from .chunk_plan import render as render_chunk_plan
from .components import LLMBackend
from .errors import HaloError, SpecError
from .estimate import (
    CallEstimate,
    Estimator,
    describe,
    naive_calls,
    naive_reads_video,
    whole_transcript,
)
from .gateway import Tally
from .job import Job
from .model import ChunkPlan, JSONValue
from .outputs import RunFolder
from .progress import Progress
from .runner import ARTIFACTS_DIR
from .spec import LoadedSpec
from .stages import Stage


@dataclass
class InputPlan:
    input: Path
    calls: list[CallEstimate] = field(default_factory=list)
    naive: list[CallEstimate] = field(default_factory=list)
    naive_input: str = "video"
    """What the naive approach sends each time: the whole `video` or `transcript`."""
    chunk_plan: ChunkPlan | None = None
    """The per-chunk cost plan, when the run makes one."""
    error: HaloError | None = None

    @property
    def cost_usd(self) -> float:
        return sum(c.cost_usd for c in self.calls)


@dataclass
class CostPlan:
    """What a run would spend (see the module doc)."""

    inputs: list[InputPlan]
    backend: str
    budget_usd: float | None = None

    @property
    def exit_code(self) -> int:
        """What `halo run --estimate` exits with: 3 when a plan does not fit the budget."""
        return max((i.error.exit_code for i in self.inputs if i.error), default=0)

    @property
    def cost_usd(self) -> float:
        return sum(i.cost_usd for i in self.inputs)

    @property
    def naive_usd(self) -> float:
        return sum(c.cost_usd for i in self.inputs for c in i.naive)

    def render(self) -> str:
        lines = [f"cost plan for llm {self.backend} (no generation call made):"]
        for item in self.inputs:
            if item.error:
                lines.append(f"  {item.input}: cannot be estimated: {item.error.message}")
                continue
            summary = [c for c in item.calls if c.task == "summarize"]
            answers = [c for c in item.calls if c.task != "summarize"]
            lines.append(f"  {item.input.name}:")
            if item.chunk_plan is not None:
                table = render_chunk_plan(item.chunk_plan).splitlines()
                lines.extend(f"    {line}" for line in table)
            lines.append(f"    summary   {describe(summary)}")
            lines.append(f"    questions {describe(answers)}")
            lines.append(
                f"    naive, the whole {item.naive_input} each time: {describe(item.naive)}"
            )
        all_calls = [c for i in self.inputs for c in i.calls]
        naive = [c for i in self.inputs for c in i.naive]
        lines.append(f"  total: {describe(all_calls)}; naive {describe(naive)}")
        if self.budget_usd is not None and not any(i.error for i in self.inputs):
            fits = "fits" if self.cost_usd <= self.budget_usd else "does NOT fit"
            lines.append(f"  budget ${self.budget_usd:.4f} (llm.with.max_cost_usd): {fits}")
        lines.append("  (prompts counted by the backend; replies assumed at the expected length)")
        return "\n".join(lines)


class _EstimateJob(Job):
    """A job whose LLM stages are planned, not run: their results are never stored."""

    def finish_stage(
        self, stage: Stage, value: JSONValue, wall_s: float, *, reused: bool = False,
        tally: Tally | None = None,
    ) -> None:
        planned = stage.of(self.pipeline) is self.pipeline.llm
        super().finish_stage(stage, value, wall_s, reused=reused or planned, tally=tally)


def plan_run(loaded: LoadedSpec, progress: Progress | None = None) -> CostPlan:
    """The cost plan of running `loaded` (see the module doc)."""
    progress = progress or Progress.silent()
    pipeline = build(loaded)
    if isinstance(pipeline, list):
        raise SpecError([loaded.redact(p) for p in pipeline], path=str(loaded.path))
    try:
        plan = _plan(loaded, pipeline, pipeline.llm, progress)
        plan.budget_usd = getattr(pipeline.llm.config, "max_cost_usd", None)
        return plan
    finally:
        pipeline.close()


def _plan(
    loaded: LoadedSpec, pipeline: Pipeline, backend: LLMBackend[Any], progress: Progress
) -> CostPlan:
    estimator = Estimator(backend)
    planning = dataclasses.replace(
        pipeline, llm=estimator, llm_fallbacks=[], cache=MemoryCache()
    )
    store = ArtifactStore(Path(loaded.spec.outputs) / ARTIFACTS_DIR, redact=loaded.redact)
    inputs = []
    tasks = loaded.spec.tasks
    with tempfile.TemporaryDirectory(prefix="halo-estimate-") as scratch:
        for path in loaded.inputs:
            item = InputPlan(Path(path))
            before = len(estimator.totals.calls)
            job = _EstimateJob(loaded, planning, store, Path(path), progress=progress)
            job.folder = RunFolder(Path(scratch) / Path(path).stem, loaded.redact)
            try:
                if not job.start():
                    raise job.error or HaloError("the input cannot be run")
                run_stages(job)
                if job.error is not None:
                    raise job.error
                data = job._data(None)
                assert data is not None and data.timeline is not None
                transcript = whole_transcript(data.timeline, data.chunks)
                item.chunk_plan = job.values.get("plan")
                item.calls = estimator.totals.calls[before:]
                item.naive_input = "video" if naive_reads_video(backend) else "transcript"
                item.naive = naive_calls(
                    backend, job.media, transcript, list(job.graph.questions),
                    summarize=tasks.summarize
                )
            except HaloError as error:
                item.error = error
            inputs.append(item)
    return CostPlan(inputs, backend=f"{backend.name} ({backend.model})")
