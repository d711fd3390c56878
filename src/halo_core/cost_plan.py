"""`halo run SPEC --estimate`: per input and in total, the requests, tokens and dollars a run's LLM
work would spend, and the naive whole-video cost beside it, with no generation call.

The run's own stages run with the LLM replaced by an `Estimator` (halo_core.estimate): the
extractors, chunker and index really run (their artifacts are stored and reused as in any run),
while the summary and Q&A stages send every request they would send to the estimator, which
plans it on the real backend (counted prompt, expected reply, today's price). Their placeholder
results are never stored, and outputs go to a temporary folder, never the run's.

With `llm.with.max_cost_usd`, when HALO's plan does not fit, the backend's cheaper settings
(`cheaper_options()`: for Gemini low media resolution, fewer frames, transcript mode, the light
model for every level) are tried in turn, cumulatively, and the first that fits is chosen and
said — for the whole run (choosing per chunk is not done).
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
from .components import LLMBackend
from .errors import HaloError, SpecError
from .estimate import CallEstimate, Estimator, describe, naive_calls, naive_reads_video
from .gateway import Tally
from .job import Job
from .model import JSONValue
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
    error: str | None = None

    @property
    def cost_usd(self) -> float:
        return sum(c.cost_usd for c in self.calls)


@dataclass
class CostPlan:
    """What a run would spend (see the module doc)."""

    inputs: list[InputPlan]
    backend: str
    budget_usd: float | None = None
    choice: str | None = None
    """The planner's choice when HALO's plan did not fit the budget."""

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
                lines.append(f"  {item.input}: cannot be estimated: {item.error}")
                continue
            summary = [c for c in item.calls if c.task == "summarize"]
            answers = [c for c in item.calls if c.task != "summarize"]
            lines.append(f"  {item.input.name}:")
            lines.append(f"    summary   {describe(summary)}")
            lines.append(f"    questions {describe(answers)}")
            lines.append(
                f"    naive, the whole {item.naive_input} each time: {describe(item.naive)}"
            )
        all_calls = [c for i in self.inputs for c in i.calls]
        naive = [c for i in self.inputs for c in i.naive]
        lines.append(f"  total: {describe(all_calls)}; naive {describe(naive)}")
        if self.budget_usd is not None:
            fits = "fits" if self.cost_usd <= self.budget_usd else "does NOT fit"
            lines.append(f"  budget ${self.budget_usd:.4f} (llm.with.max_cost_usd): {fits}")
        if self.choice:
            lines.append(f"  planner: {self.choice}")
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
    real = pipeline.llm
    budget = getattr(real.config, "max_cost_usd", None)
    try:
        plan = _plan(loaded, pipeline, real, progress)
        plan.budget_usd = budget
        if budget is None or plan.cost_usd <= budget:
            return plan
        chosen: dict[str, Any] = {}
        cheaper = getattr(real, "cheaper_options", None)
        for label, options in cheaper() if callable(cheaper) else []:
            chosen.update(options)
            candidate: LLMBackend[Any] = type(real)(
                real.Config.model_validate(
                    {**real.config.model_dump(mode="python", by_alias=True), **chosen}
                )
            )
            if hasattr(real, "today"):
                candidate.today = real.today  # type: ignore[attr-defined]  # the same day
            tried = _plan(loaded, pipeline, candidate, progress)
            if tried.cost_usd <= budget:
                tried.budget_usd = budget
                tried.choice = (
                    f"HALO's plan (${plan.cost_usd:.4f}) does not fit; with "
                    f"{', '.join(f'{k}: {v}' for k, v in chosen.items())} it costs "
                    f"${tried.cost_usd:.4f} (last step: {label})"
                )
                return tried
        plan.choice = "no cheaper setting of this backend fits: raise the budget"
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
                transcript = " ".join(s.text for s in data.timeline.track("transcript")) or (
                    " ".join(c.text for c in data.chunks)
                )
                item.calls = estimator.totals.calls[before:]
                item.naive_input = "video" if naive_reads_video(backend) else "transcript"
                item.naive = naive_calls(
                    backend, job.media, transcript, list(job.graph.questions),
                    summarize=tasks.summarize
                )
            except HaloError as error:
                item.error = error.message
            inputs.append(item)
    return CostPlan(inputs, backend=f"{backend.name} ({backend.model})")
