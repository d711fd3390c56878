"""Loading a spec, in order: parse; apply `--set path=value` overrides; interpolate `${VAR}`; pick
inputs; check the spec's shape. Every problem is reported at once, each `file:line:col: …`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import SpecError
from ..plugins import get_registry
from ..spec_model import PipelineSpec
from .inputs import resolve_inputs
from .interpolation import interpolate, redact
from .loaded import LoadedSpec
from .overrides import apply_override
from .problems import Locations, NodePath, problem
from .shape import pydantic_problems
from .validation import inspect_spec, validate
from .yaml_source import parse, read_spec_file


def load_spec(
    path: str | Path,
    *,
    overrides: Sequence[str] = (),
    inputs: Sequence[str] = (),
    out: str | Path | None = None,
    ask: Sequence[str] = (),
) -> LoadedSpec:
    """Read, override, interpolate and shape-check a spec; raise SpecError with every problem.
    `ask`: questions (`halo run --ask`) added to the spec's `tasks.ask` for this run."""
    spec_path = Path(path)
    file = str(spec_path)
    data, locations = parse(read_spec_file(spec_path), file)
    if data is None:
        raise SpecError([problem(f"{file}:1:1", "the spec is empty",
                                 "start from pipelines/lecture.yaml")], path=file)
    if not isinstance(data, dict):
        raise SpecError([problem(f"{file}:1:1", f"the spec is a {type(data).__name__}, "
                                 "not a mapping of keys", "start from pipelines/lecture.yaml")],
                        path=file)
    registry = get_registry()
    problems: list[str] = []
    for assignment in overrides:
        found = apply_override(data, assignment, locations, registry)
        if found:
            problems.append(found)
    if out is not None:
        data["outputs"] = str(out)
        locations.replace(("outputs",), f"--out {out}")
    secrets: set[str] = set()
    raw: dict[NodePath, str] = {}
    data = interpolate(data, (), locations, secrets, raw, problems)
    _add_questions(data, ask, locations)

    origins = resolve_inputs(inputs, data, locations, spec_path.parent, problems)

    spec: PipelineSpec | None = None
    try:
        spec = PipelineSpec.model_validate(data)
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, (), PipelineSpec, locations))
    # An invalid spec still gets a (never validated) placeholder, so its components are reported.
    placeholder = spec if spec is not None else PipelineSpec.model_construct()  # type: ignore[call-arg]
    loaded = LoadedSpec(
        spec=placeholder,
        path=spec_path, inputs=list(origins), secrets=secrets, data=data,
        locations=locations, raw_strings=raw, input_origins=origins,
    )
    if problems:
        problems.extend(inspect_spec(loaded).problems)
        raise SpecError([loaded.redact(p) for p in problems], path=file)
    return loaded


def _add_questions(data: dict[str, Any], ask: Sequence[str], locations: Locations) -> None:
    """`ask` after the spec's `tasks.ask` (literal text: never interpolated)."""
    if not ask:
        return
    tasks = data.setdefault("tasks", {})
    listed = tasks.get("ask", []) if isinstance(tasks, dict) else None
    if not isinstance(listed, list):
        return  # a shape the model check reports
    tasks["ask"] = [*listed, *ask]
    for index, question in enumerate(ask, start=len(listed)):
        locations.replace(("tasks", "ask", index), f"--ask {question!r}")


def load_stored_spec(data: dict[str, Any], base_dir: Path) -> LoadedSpec:
    """A spec stored by `LoadedSpec.storable()`, re-interpolated from the current environment."""
    label = str(base_dir)
    locations = Locations(label)
    problems: list[str] = []
    secrets: set[str] = set()
    raw: dict[NodePath, str] = {}
    resolved = interpolate(data, (), locations, secrets, raw, problems)
    spec: PipelineSpec | None = None
    try:
        spec = PipelineSpec.model_validate(resolved)
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, (), PipelineSpec, locations))
    if problems or spec is None:
        raise SpecError([redact(p, secrets) for p in problems], path=label)
    inputs = [p if p.is_absolute() else base_dir / p for p in map(Path, spec.inputs)]
    return LoadedSpec(spec=spec, path=base_dir, inputs=inputs, secrets=secrets, data=resolved,
                      locations=locations, raw_strings=raw,
                      input_origins={p: label for p in inputs})


def load_and_validate(
    path: str | Path,
    *,
    overrides: Sequence[str] = (),
    inputs: Sequence[str] = (),
    out: str | Path | None = None,
    media: bool = False,
) -> LoadedSpec:
    """`load_spec` then `validate`; raise SpecError holding every problem."""
    loaded = load_spec(path, overrides=overrides, inputs=inputs, out=out)
    problems = validate(loaded, media=media)
    if problems:
        raise SpecError(problems, path=str(loaded.path))
    return loaded
