"""The library's spec (`spec.json`): what its media files are run with and what answers its
questions (embedder, index, LLM, cache). It is set by the first `add` (`--spec SPEC`, else the
first run folder's own spec) and kept; relative cache paths are stored absolute, so the library
means the same cache from any working folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..artifacts import atomic_write_json
from ..build import Pipeline, build
from ..errors import HaloError, SpecError
from ..run_data import RunData, run_working_dir, with_absolute_cache_path
from ..runner import run as run_spec
from ..spec import LoadedSpec, load_spec, load_stored_spec
from .folder import LibraryFolder, locked


def spec_of_file(path: Path, media: Path) -> dict[str, Any]:
    """A spec file's data as the library stores it (`media`: an input it is checked with)."""
    return with_absolute_cache_path(load_spec(path, inputs=[str(media)]).storable(), Path.cwd())


def spec_of_run(run: RunData) -> dict[str, Any]:
    """The spec a run folder was made with, as the library stores it."""
    return with_absolute_cache_path(run.record["spec"], run_working_dir(run))


def adopt_spec(library: LibraryFolder, data: dict[str, Any]) -> None:
    """Store `data` as the library's spec unless it has one already (first writer wins)."""
    with locked(library.lock("spec")):
        if not library.spec.is_file():
            atomic_write_json(library.spec, data)


def library_spec(library: LibraryFolder) -> LoadedSpec:
    if not library.spec.is_file():
        raise HaloError(
            "the library has no spec yet",
            where=str(library.path),
            fix="add a run folder first, or pass --spec SPEC with the first media file",
        )
    return load_stored_spec(json.loads(library.spec.read_text(encoding="utf-8")), library.path)


def library_pipeline(library: LibraryFolder) -> Pipeline:
    """The library's pipeline, built in this process (close it)."""
    loaded = library_spec(library)
    pipeline = build(loaded)
    if isinstance(pipeline, list):
        raise SpecError([loaded.redact(p) for p in pipeline], path=str(library.spec))
    return pipeline


def run_media(library: LibraryFolder, media: Path, key: str) -> Path:
    """Run `media` with the library's spec (its executor, resumable) into `runs/<key>/`;
    the run folder, or a HaloError naming the stage that failed."""
    loaded = library_spec(library)
    out = library.runs(key)
    loaded.spec = loaded.spec.model_copy(update={"outputs": str(out)})
    loaded.inputs = [media.resolve()]
    [result] = run_spec(loaded)
    if result.error is not None or result.run_dir is None:
        raise HaloError(
            f"running {media.name} with the library's spec failed: {result.error}",
            where=str(media),
            fix="check the media with `halo run SPEC --input FILE`, then add it again",
        )
    return result.run_dir
