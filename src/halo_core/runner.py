"""The runner: one pipeline spec over its inputs, resumable. A generic loop: build the pipeline
once (`build.py`), make one `Job` per input (its stage graph: `stages.py`), and let the spec's
executor run the stages; report each input's result. Each stage's output is a content-addressed
artifact (`artifacts.py`), so a re-run finds every finished stage again and an interrupted run
resumes where it stopped.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from .artifacts import ArtifactStore
from .build import build
from .errors import BudgetExceeded, MediaError, SpecError
from .job import Job, RunResult
from .models import ModelUses
from .outputs.batch import write_batch
from .progress import Progress
from .stages import run_wide

if TYPE_CHECKING:
    from .spec import LoadedSpec

__all__ = ["ARTIFACTS_DIR", "RunResult", "run"]

ARTIFACTS_DIR = ".halo/artifacts"


def run(
    loaded: LoadedSpec, *, force: bool = False, progress: Progress | None = None
) -> list[RunResult]:
    """Run the spec over each of its inputs. An input that fails does not stop the others; an LLM
    budget stop ends the whole run. Finished stages are kept either way."""
    progress = progress or Progress.silent()
    if not loaded.inputs:
        raise MediaError(
            "no inputs to run on",
            where=str(loaded.path),
            fix="add `inputs: [video.mp4]` to the spec, or pass --input FILE",
        )
    _check_unique_stems(loaded.inputs)
    pipeline = build(loaded)
    if isinstance(pipeline, list):
        raise SpecError([loaded.redact(p) for p in pipeline], path=str(loaded.path))
    if (shared := pipeline.executor.outputs()) is not None:  # a folder every worker reaches
        loaded = replace(loaded, spec=loaded.spec.model_copy(update={"outputs": shared}))
    results: list[RunResult] = []
    t0 = time.monotonic()
    try:
        for notice in pipeline.notices:
            progress.message(loaded.redact(notice))
        store = ArtifactStore(Path(loaded.spec.outputs) / ARTIFACTS_DIR, redact=loaded.redact)
        store.sweep_temp_files()
        models = ModelUses()  # one for all inputs: a model is released after its last input
        models.keep(ref for component in run_wide(pipeline) for ref in component.models())
        jobs = [Job(loaded, pipeline, store, Path(path), progress=progress, force=force,
                    models=models) for path in loaded.inputs]
        try:
            for job in pipeline.executor.run(jobs):
                results.append(job.finish())
                if isinstance(job.error, BudgetExceeded):
                    break
        finally:  # interrupted: jobs under way say so in their run.json
            for job in jobs:
                if job.started and not job.finished:
                    job.finish(interrupted=True)
            write_batch(Path(loaded.spec.outputs) / loaded.spec.name, jobs, pipeline.executor,
                        time.monotonic() - t0)
    finally:
        pipeline.close()
    position = {Path(path): i for i, path in enumerate(loaded.inputs)}
    return sorted(results, key=lambda r: position.get(r.input, len(position)))  # input order


def _check_unique_stems(inputs: list[Path]) -> None:
    seen: dict[str, Path] = {}
    for path in inputs:
        stem = Path(path).stem
        if stem in seen and Path(seen[stem]).resolve() != Path(path).resolve():
            raise MediaError(
                f"two inputs would share the run folder {stem!r}: {seen[stem]} and {path}",
                fix="rename one of them, or run them with separate --out folders",
            )
        seen[stem] = Path(path)
