"""`RunData`: one input's results as objects. The runner hands them to Q&A in memory;
`load_run(folder)` reads the same object back from a run folder, in any later process."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from pydantic import BaseModel, TypeAdapter, ValidationError

from .errors import HaloError
from .gateway import stable_hash
from .model import Answer, Chunk, ChunkSet, Media, RunReport, Summaries, Timeline

M = TypeVar("M", bound=BaseModel)
_answers = TypeAdapter(list[Answer])


@dataclass
class RunData:
    """What a run produced for one input (the output contract, typed)."""

    folder: Path
    media: Media
    chunks: list[Chunk]
    timeline: Timeline | None
    summaries: Summaries | None
    answers: list[Answer] = field(default_factory=list)
    notes: str | None = None
    report: RunReport | None = None
    record: dict[str, Any] = field(default_factory=dict)
    """run.json: the stored spec, the working folder, the components' identities"""
    chunk_vectors: tuple[list[str], np.ndarray] | None = None
    """the index stage's chunk ids and vectors, when the run hands them over in memory;
    otherwise Q&A opens the index saved in `<folder>/index/`"""

    @property
    def chunk_set_id(self) -> str:
        return stable_hash([c.model_dump(mode="json") for c in self.chunks])

    @property
    def incomplete(self) -> dict[str, Any] | None:
        """run.json's note that the run did not finish: the stage that failed and why."""
        found: dict[str, Any] | None = self.record.get("incomplete")
        return found


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HaloError(
            f"cannot read {path.name}: {exc}",
            where=str(path),
            fix="run the pipeline again (`halo run SPEC`) to rewrite the run folder",
        ) from None


def _optional(folder: Path, name: str, model: type[M]) -> M | None:
    path = folder / name
    return model.model_validate(_read_json(path)) if path.is_file() else None


def load_run(folder: Path) -> RunData:
    """The run in `folder`, or a HaloError saying what is missing and how to get it."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HaloError(
            "no such run folder",
            where=str(folder),
            fix="pass a folder written by `halo run`, e.g. runs/lecture/lecture",
        )
    for required in ("run.json", "chunks.json"):
        if not (folder / required).is_file():
            raise HaloError(
                f"not a finished run folder: {required} is missing",
                where=str(folder),
                fix="pass a folder written by `halo run` (runs/<spec>/<media>/), or finish the run",
            )
    record = _read_json(folder / "run.json")
    try:
        answers = folder / "answers.json"
        notes = folder / "notes.md"
        return RunData(
            folder=folder,
            media=Media.model_validate(record["media"]),
            chunks=ChunkSet.model_validate(_read_json(folder / "chunks.json")).chunks,
            timeline=_optional(folder, "timeline.json", Timeline),
            summaries=_optional(folder, "summaries.json", Summaries),
            answers=_answers.validate_python(_read_json(answers)) if answers.is_file() else [],
            notes=notes.read_text(encoding="utf-8") if notes.is_file() else None,
            report=_optional(folder, "report.json", RunReport),
            record=record,
        )
    except (KeyError, ValidationError) as exc:
        raise HaloError(
            f"the run folder does not match this version of halo: {str(exc).splitlines()[0]}",
            where=str(folder),
            fix="run the pipeline again (`halo run SPEC --force`) to rewrite the run folder",
        ) from None


def run_working_dir(run: RunData) -> Path:
    """The folder `halo run` ran in: relative paths in the stored spec are relative to it."""
    if "cwd" in run.record:
        return Path(run.record["cwd"])
    outputs = Path(run.record.get("spec", {}).get("outputs", "runs"))
    if outputs.is_absolute():
        return Path.cwd()
    # the folder is <cwd>/<outputs>/<spec name>/<media stem>
    return run.folder.resolve().parents[len(outputs.parts) + 1]


def with_absolute_cache_path(spec: dict[str, Any], cwd: Path) -> dict[str, Any]:
    """A copy of stored spec data whose relative cache path is made absolute against `cwd`,
    so the spec means the same cache from any working folder."""
    data: dict[str, Any] = json.loads(json.dumps(spec))
    cache_options = data.get("cache", {}).get("with", {})
    path = cache_options.get("path")
    if isinstance(path, str) and not Path(path).is_absolute():
        cache_options["path"] = str(cwd / path)
    return data
