"""Opening a finished run in a new process: its pipeline rebuilt from run.json (for `halo ask`
and `halo chat`), or only its cache (for `halo cache`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..build import Pipeline, build
from ..components import CacheBackend
from ..errors import SpecError
from ..plugins import get_registry
from ..run_data import RunData, load_run, run_working_dir, with_absolute_cache_path
from ..spec import LoadedSpec, load_stored_spec
from .answering import DEFAULT_BUDGET, QA


def _stored_spec(run: RunData) -> LoadedSpec:
    """The run's spec from run.json, its relative cache path made absolute."""
    data = with_absolute_cache_path(run.record["spec"], run_working_dir(run))
    return load_stored_spec(data, run.folder)


def open_pipeline(run: RunData) -> Pipeline:
    """The run's pipeline, built and checked in this process; SpecError when it cannot be."""
    loaded = _stored_spec(run)
    pipeline = build(loaded)
    if isinstance(pipeline, list):
        raise SpecError([loaded.redact(p) for p in pipeline], path=str(run.folder / "run.json"))
    return pipeline


def open_cache(run: RunData) -> CacheBackend[Any]:
    """Only the run's cache backend (no models, no LLM checks): for `halo cache`."""
    spec = _stored_spec(run).spec
    cache: CacheBackend[Any] = get_registry().build("cache", spec.cache.use, spec.cache.with_)
    return cache


def open_qa(run_dir: Path, budget: int = DEFAULT_BUDGET) -> QA:
    """Everything `halo ask` needs, from the run folder alone (close with `QA.close`)."""
    run = load_run(run_dir)
    pipeline = open_pipeline(run)
    return QA(run, pipeline, pipeline.gateway(), budget=budget)
