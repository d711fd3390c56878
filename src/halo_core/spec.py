"""Loading and validating pipeline specs.

A spec is YAML (safe loader only). Loading keeps every node's position, so each problem is reported
as `file:line:column: what (fix: how)`, and every problem is reported at once, not the first only.

Loading, in order: parse; apply `--set path=value` overrides; interpolate `${VAR}` and
`${VAR:-default}` from the environment (`$$` is a literal `$`); pick inputs (`--input` replaces the
spec's; globs expanded; spec-relative paths resolved against the spec's folder); check the spec's
shape. `validate()` then checks what building and running would need: component names, each
component's `with:` against its `Config`, requires/provides between extractors, each component's
`check()`, LLM fallbacks, and (optionally) that every input is media the extractors can read.

Values that came from the environment are secrets (except in the path fields `inputs` and
`outputs`): `LoadedSpec.redact()` masks them and `LoadedSpec.storable()` writes every interpolated
value back as its `${VAR}` text, so a stored spec never holds them.
"""

from __future__ import annotations

import contextlib
import difflib
import glob
import logging
import os
import re
import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .components import Kind
from .errors import HaloError, MediaError, SpecError
from .model import Media
from .plugins import (
    KNOWN_PROVIDERS,
    ComponentInfo,
    Registry,
    get_registry,
    unknown_component_message,
)
from .spec_model import PipelineSpec

NodePath = tuple[str | int, ...]

# Top-level spec fields that name a component, and the kind of component each names.
COMPONENT_FIELDS: dict[str, Kind] = {
    "extractors": "extractor",
    "chunker": "chunker",
    "embedder": "embedder",
    "index": "vector_index",
    "cache": "cache",
    "llm": "llm",
}

# Environment values shorter than this are not masked by `redact`: masking every "1" or "on" in
# a log would garble it, and no real secret is that short.
MIN_REDACTED_LENGTH = 4

# Top-level fields holding paths: what is interpolated into them is not treated as a secret.
PATH_FIELDS = {("inputs",), ("outputs",)}

_INTERPOLATION = re.compile(r"\$\$|\$\{([^}]*)\}")
_REFERENCE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$", re.DOTALL)


def dotted(path: NodePath) -> str:
    return ".".join(str(part) for part in path) or "(the spec)"


def problem(where: str, what: str, fix: str | None = None) -> str:
    """One problem line: `where: what (fix: how)`."""
    return f"{where}: {what} (fix: {fix})" if fix else f"{where}: {what}"


@dataclass
class Locations:
    """Where each value (and each mapping key) of a spec came from: `file:line:col` or `--set …`."""

    default: str
    values: dict[NodePath, str] = field(default_factory=dict)
    keys: dict[NodePath, str] = field(default_factory=dict)

    def of(self, path: NodePath, *, key: bool = False) -> str:
        """The location of `path`, or of its nearest ancestor that has one."""
        if key and path in self.keys:
            return self.keys[path]
        for end in range(len(path), -1, -1):
            if path[:end] in self.values:
                return self.values[path[:end]]
        return self.default

    def replace(self, path: NodePath, label: str) -> None:
        """Everything at and below `path` now comes from `label` (an override)."""
        for table in (self.values, self.keys):
            for known in [p for p in table if p[: len(path)] == path]:
                del table[known]
        self.values[path] = label
        self.keys[path] = label


def redact(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= MIN_REDACTED_LENGTH:
            text = text.replace(secret, "***")
    return text


@dataclass
class LoadedSpec:
    """A spec ready to run: the validated model, its resolved input files, and its secrets.

    `data`, `locations` and `raw_strings` keep what validation and `storable()` need: the
    resolved mapping, where each value came from, and each interpolated string as written.
    """

    spec: PipelineSpec
    path: Path
    inputs: list[Path]
    secrets: set[str] = field(default_factory=set, repr=False)
    data: dict[str, Any] = field(default_factory=dict, repr=False)
    locations: Locations = field(default_factory=lambda: Locations("spec"), repr=False)
    raw_strings: dict[NodePath, str] = field(default_factory=dict, repr=False)
    input_origins: dict[Path, str] = field(default_factory=dict, repr=False)

    def redact(self, text: str) -> str:
        """`text` with every secret (a value taken from the environment) replaced by `***`."""
        return redact(text, self.secrets)

    def storable(self) -> dict[str, Any]:
        """The resolved spec as JSON-safe data, with environment values put back as `${VAR}`.

        Inputs are stored resolved (absolute paths); `load_stored_spec` reads this back.
        """
        data = self.spec.model_dump(mode="json", by_alias=True)
        data["inputs"] = [str(p) for p in self.inputs]
        written = {p: text for p, text in self.raw_strings.items() if p[:1] != ("inputs",)}
        return _restore_raw(data, (), written)

    def log_filter(self) -> logging.Filter:
        """A logging filter that masks this spec's secrets in every record it passes."""
        return _RedactingFilter(self)


class _RedactingFilter(logging.Filter):
    def __init__(self, loaded: LoadedSpec) -> None:
        super().__init__()
        self.loaded = loaded

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.loaded.redact(record.getMessage())
        record.args = None
        return True


def _restore_raw(value: Any, path: NodePath, raw: dict[NodePath, str]) -> Any:
    """Put interpolated strings back as written; escape `$` in every other string."""
    if isinstance(value, dict):
        return {k: _restore_raw(v, (*path, k), raw) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore_raw(v, (*path, i), raw) for i, v in enumerate(value)]
    if isinstance(value, str):
        return raw.get(path, value.replace("$", "$$"))
    return value


# --- parsing -------------------------------------------------------------------------------------


def _mark(file: str, mark: yaml.Mark | None) -> str:
    return f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file


def _parse(text: str, file: str) -> tuple[Any, Locations]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        lines = text.splitlines()
        line = lines[mark.line] if mark and mark.line < len(lines) else ""
        fix = ("quote values holding ${VAR} inside {...} or [...], e.g. "
               'api_key: "${GEMINI_API_KEY}"' if "${" in line
               else "check the indentation and quoting at that line")
        raise SpecError([problem(_mark(file, mark), f"malformed YAML: {what}", fix)],
                        path=file) from None
    except yaml.YAMLError as exc:
        raise SpecError([problem(file, f"malformed YAML: {exc}")], path=file) from None
    finally:
        loader.dispose()
    locations = Locations(f"{file}:1:1")
    if node is not None:
        _record_marks(node, (), file, locations)
    return data, locations


def _record_marks(node: yaml.Node, path: NodePath, file: str, locations: Locations,
                  ancestors: frozenset[int] = frozenset()) -> None:
    locations.values[path] = _mark(file, node.start_mark)
    if id(node) in ancestors:  # an alias to its own ancestor: the data would be infinite
        raise SpecError([problem(_mark(file, node.start_mark), "a YAML alias contains itself",
                                 "copy the values instead of using a recursive alias")], path=file)
    inside = ancestors | {id(node)}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                child = (*path, key_node.value)
                locations.keys[child] = _mark(file, key_node.start_mark)
                _record_marks(value_node, child, file, locations, inside)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_marks(item, (*path, index), file, locations, inside)


def _read(path: Path) -> str:
    where = str(path)
    if not path.exists():
        raise HaloError("spec file not found", where=where,
                        fix="check the path, e.g. `halo validate pipelines/lecture.yaml`")
    if not path.is_file():
        raise HaloError("not a file", where=where, fix="pass a pipeline spec (.yaml) file")
    try:
        return path.read_text(encoding="utf-8")
    except PermissionError:
        raise HaloError("cannot read the spec (permission denied)", where=where,
                        fix=f"chmod +r {path}") from None
    except UnicodeDecodeError as exc:
        raise HaloError(f"the spec is not UTF-8 text ({exc.reason} at byte {exc.start})",
                        where=where, fix="save the spec as UTF-8 YAML") from None


# --- the shape of a spec, for --set paths and error hints -----------------------------------------


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model an annotation holds (directly, in a list, or in an Optional)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            model = _model_of(arg)
            if model is not None:
                return model
    return None


def _field(model: type[BaseModel], key: str) -> tuple[str, Any] | None:
    """(field name, FieldInfo) of `key` (a name or an alias) in `model`."""
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return name, info
    return None


def _keys_of(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _close(word: str, options: Sequence[str]) -> list[str]:
    return difflib.get_close_matches(word, list(options), n=3, cutoff=0.6)


def _did_you_mean(word: str, options: Sequence[str]) -> str:
    close = _close(word, options)
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    return "known keys: " + (", ".join(sorted(options)) or "(none)")


@dataclass
class _Position:
    """What may appear at a place in the spec: a model's fields, or anything (model None)."""

    model: type[BaseModel] | None
    kind: Kind | None = None
    label: str = ""


def _child_position(position: _Position, node: dict[str, Any], key: str,
                    registry: Registry) -> _Position:
    if position.model is None:
        return _Position(None)
    found = _field(position.model, key)
    if found is None:
        return _Position(None)
    name, info = found
    kind = COMPONENT_FIELDS.get(name) if position.model is PipelineSpec else position.kind
    if name == "with_" and position.kind is not None:
        component = registry.components[position.kind].get(str(node.get("use")))
        if component is None:  # an unknown component: reported by validation, any key goes here
            return _Position(None)
        return _Position(component.cls.Config, label=f" (options of {_subject(component)})")
    return _Position(_model_of(info.annotation), kind)


# --- overrides -----------------------------------------------------------------------------------


def _default_value(position: _Position, key: str) -> Any:
    """What a `--set` into a missing mapping starts from: the field's default, e.g. the default
    chunker's `{use: rules}` for `--set chunker.with.max_duration=60`, else an empty mapping."""
    found = _field(position.model, key) if position.model is not None else None
    if found is not None and not found[1].is_required():
        default = found[1].get_default(call_default_factory=True)
        if isinstance(default, BaseModel):
            return default.model_dump(by_alias=True)
        if isinstance(default, list | dict):
            return type(default)(default)
    return {}


def _apply_override(data: dict[str, Any], assignment: str, locations: Locations,
                    registry: Registry) -> str | None:
    """Apply one `--set path=value`; return a problem, or None."""
    where = f"--set {assignment}"
    key_text, sep, value_text = assignment.partition("=")
    if not sep or not key_text:
        return problem(where, "expected PATH=VALUE", "e.g. --set chunker.with.max_duration=120")
    try:
        value = yaml.safe_load(value_text)
    except yaml.YAMLError as exc:
        return problem(where, f"the value is not valid YAML ({exc})",
                       "quote it, e.g. --set 'llm.with.model=\"name\"'")
    segments = key_text.split(".")
    node: Any = data
    position = _Position(PipelineSpec)
    path: NodePath = ()
    for depth, segment in enumerate(segments):
        step: str | int
        if isinstance(node, list):
            if not segment.isdigit() or int(segment) >= len(node):
                fix = (f"use an index from 0 to {len(node) - 1}" if node
                       else f"set the whole list, e.g. --set {dotted(path)}=[...]")
                return problem(where, f"unknown path {key_text!r}: {dotted(path)} is a list of "
                               f"{len(node)}, and {segment!r} is not an index in it", fix)
            step = int(segment)
        elif isinstance(node, dict):
            step = segment
            allowed = _keys_of(position.model) if position.model is not None else None
            if segment not in node and allowed is not None and segment not in allowed:
                options = sorted(set(allowed) | {str(k) for k in node})
                return problem(where, f"unknown path {key_text!r}: {dotted(path)}{position.label}"
                               f" has no key {segment!r}", _did_you_mean(segment, options))
            if depth < len(segments) - 1 and segment not in node:
                node[segment] = _default_value(position, segment)
            position = _child_position(position, node, segment, registry)
        else:
            return problem(where, f"unknown path {key_text!r}: {dotted(path)} is a "
                           f"{type(node).__name__}, not a mapping or a list",
                           f"set {dotted(path)} itself")
        if depth == len(segments) - 1:
            node[step] = value
            locations.replace((*path, step), where)
            return None
        node = node[step]
        path = (*path, step)
    return None


# --- interpolation -------------------------------------------------------------------------------


def _interpolate_text(text: str, where: str, used_in: NodePath, secrets: set[str],
                      problems: list[str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        reference = _REFERENCE.match(match.group(1))
        if reference is None:
            problems.append(problem(where, f"{match.group(0)!r} in {dotted(used_in)} is not a "
                                    "variable reference", "write ${NAME} or ${NAME:-default}"))
            return match.group(0)
        name, default = reference.group(1), reference.group(2)
        value = os.environ.get(name)
        if value is not None and (value or default is None):
            secrets.add(value)
            return value
        if default is not None:
            return default
        problems.append(problem(where, f"environment variable {name} is not set "
                                f"(used in {dotted(used_in)})",
                                f"export {name}=..., or give a default: ${{{name}:-value}}"))
        return ""

    return _INTERPOLATION.sub(substitute, text)


def _interpolate(value: Any, path: NodePath, locations: Locations, secrets: set[str],
                 raw: dict[NodePath, str], problems: list[str]) -> Any:
    if isinstance(value, dict):
        return {k: _interpolate(v, (*path, k), locations, secrets, raw, problems)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, (*path, i), locations, secrets, raw, problems)
                for i, v in enumerate(value)]
    if isinstance(value, str) and "$" in value:
        raw[path] = value
        # Paths (e.g. ${HOME}/videos) are not secrets: masking them would garble every output.
        found: set[str] = set()
        text = _interpolate_text(value, locations.of(path), path, found, problems)
        if path[:1] not in PATH_FIELDS:
            secrets.update(found)
        return text
    return value


# --- inputs --------------------------------------------------------------------------------------


def _expand_inputs(patterns: list[tuple[str, str]], base: Path,
                   problems: list[str]) -> dict[Path, str]:
    """Each (pattern, where) expanded to existing paths, keyed to where they were named."""
    found: dict[Path, str] = {}
    for pattern, where in patterns:
        full = Path(os.path.expanduser(pattern))
        if not full.is_absolute():
            full = base / full
        relative_hint = f" (relative paths are relative to {base})"
        if glob.has_magic(str(full)):
            matches = [Path(m) for m in sorted(glob.glob(str(full), recursive=True))]
            matches = [m for m in matches if m.is_file()]
            if not matches:
                problems.append(problem(where, f"no file matches {pattern!r}{relative_hint}",
                                        "check the pattern, or pass --input FILE"))
            for match in matches:
                found.setdefault(match.resolve(), where)
        elif not full.exists():
            problems.append(problem(where, f"input file not found: {full}",
                                    f"check the path{relative_hint}, or pass --input FILE"))
        else:
            found.setdefault(full.resolve(), where)
    return found


# --- loading -------------------------------------------------------------------------------------


def load_spec(
    path: str | Path,
    *,
    overrides: Sequence[str] = (),
    inputs: Sequence[str] = (),
    out: str | Path | None = None,
) -> LoadedSpec:
    """Read, override, interpolate and shape-check a spec; raise SpecError with every problem."""
    spec_path = Path(path)
    file = str(spec_path)
    data, locations = _parse(_read(spec_path), file)
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
        found = _apply_override(data, assignment, locations, registry)
        if found:
            problems.append(found)
    if out is not None:
        data["outputs"] = str(out)
        locations.replace(("outputs",), f"--out {out}")
    secrets: set[str] = set()
    raw: dict[NodePath, str] = {}
    data = _interpolate(data, (), locations, secrets, raw, problems)

    if inputs:
        patterns = [(p, f"--input {p}") for p in inputs]
        origins = _expand_inputs(patterns, Path.cwd(), problems)
    else:
        listed = data.get("inputs")
        patterns = [(p, locations.of(("inputs", i))) for i, p in enumerate(listed or [])
                    if isinstance(p, str)] if isinstance(listed, list) else []
        origins = _expand_inputs(patterns, spec_path.parent.resolve(), problems)
        if listed in (None, []):
            problems.append(problem(locations.of(("inputs",)), "the spec names no inputs",
                                    "add `inputs: [video.mp4]` to the spec, or pass --input FILE"))

    spec: PipelineSpec | None = None
    try:
        spec = PipelineSpec.model_validate(data)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(exc, (), PipelineSpec, locations))
    loaded = LoadedSpec(
        spec=spec if spec is not None else PipelineSpec.model_construct(),
        path=spec_path, inputs=list(origins), secrets=secrets, data=data,
        locations=locations, raw_strings=raw, input_origins=origins,
    )
    if problems:
        problems.extend(_component_report(loaded, registry).problems)
        raise SpecError([loaded.redact(p) for p in problems], path=file)
    return loaded


def load_stored_spec(data: dict[str, Any], base_dir: Path) -> LoadedSpec:
    """A spec stored by `LoadedSpec.storable()`, re-interpolated from the current environment."""
    label = str(base_dir)
    locations = Locations(label)
    problems: list[str] = []
    secrets: set[str] = set()
    raw: dict[NodePath, str] = {}
    resolved = _interpolate(data, (), locations, secrets, raw, problems)
    spec: PipelineSpec | None = None
    try:
        spec = PipelineSpec.model_validate(resolved)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(exc, (), PipelineSpec, locations))
    if problems or spec is None:
        raise SpecError([redact(p, secrets) for p in problems], path=label)
    inputs = [p if p.is_absolute() else base_dir / p for p in map(Path, spec.inputs)]
    return LoadedSpec(spec=spec, path=base_dir, inputs=inputs, secrets=secrets, data=resolved,
                      locations=locations, raw_strings=raw,
                      input_origins={p: label for p in inputs})


# --- pydantic errors as spec problems ----------------------------------------------------------


def _field_at(model: type[BaseModel], loc: NodePath) -> tuple[type[BaseModel] | None, Any]:
    """The model owning the last named step of `loc`, and that step's FieldInfo (or None)."""
    owner: type[BaseModel] | None = model
    info: Any = None
    for step in loc:
        if isinstance(step, int) or owner is None:
            continue
        found = _field(owner, step)
        if found is None:
            return owner, None
        info = found[1]
        inner = _model_of(info.annotation)
        if inner is None:
            return owner, info
        owner = inner
    return owner, info


def _describe_field(info: Any) -> str | None:
    if info is None:
        return None
    parts = [f"expected {_type_name(info.annotation)}"]
    if info.description:
        parts.append(info.description)
    if not info.is_required():
        default = info.get_default(call_default_factory=True)
        if isinstance(default, BaseModel):
            default = default.model_dump(by_alias=True, exclude_defaults=True)
        parts.append(f"default {default!r}")
    return "; ".join(parts)


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def _pydantic_problems(exc: ValidationError, base: NodePath, model: type[BaseModel],
                       locations: Locations, subject: str = "") -> list[str]:
    problems = []
    for error in exc.errors():
        loc: NodePath = tuple(error["loc"])
        path = (*base, *loc)
        name = dotted(path)
        prefix = f"{subject}: " if subject else ""
        if error["type"] == "extra_forbidden":
            owner, _ = _field_at(model, loc[:-1])
            known = _keys_of(owner) if owner else []
            fix = (_did_you_mean(str(loc[-1]), known) if known
                   else f"{dotted(path[:-1])} takes no options: remove it")
            problems.append(problem(locations.of(path, key=True),
                                    f"{prefix}unknown key {str(loc[-1])!r} in {dotted(path[:-1])}",
                                    fix))
        elif error["type"] == "missing":
            _, info = _field_at(model, loc)
            problems.append(problem(locations.of(path[:-1]), f"{prefix}{name} is required",
                                    _describe_field(info)))
        else:
            _, info = _field_at(model, loc)
            got = error.get("input")
            shown = f" (got {got!r})" if not isinstance(got, dict | list) else ""
            problems.append(problem(locations.of(path), f"{prefix}{name}: {error['msg']}{shown}",
                                    _describe_field(info)))
    return problems


# --- validation ----------------------------------------------------------------------------------


@dataclass
class ComponentUse:
    kind: Kind
    name: str
    distribution: str
    version: str
    role: str = ""  # how the spec uses it, e.g. "llm fallback"; the kind when empty

    def __post_init__(self) -> None:
        self.role = self.role or self.kind.replace("_", " ")


@dataclass
class Report:
    """What `validate` found: problems (any means the spec cannot run), notices, what it uses."""

    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    components: list[ComponentUse] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)


def _component_refs(
    data: dict[str, Any],
) -> Iterator[tuple[Kind, NodePath, dict[str, Any], bool]]:
    """(kind, path, ref, is_default) for every component the spec uses, defaults included."""
    for field_name, kind in COMPONENT_FIELDS.items():
        value = data.get(field_name)
        if field_name == "extractors":
            for index, ref in enumerate(value if isinstance(value, list) else []):
                if isinstance(ref, dict):
                    yield kind, (field_name, index), ref, False
        elif isinstance(value, dict):
            yield kind, (field_name,), value, False
        elif value is None:  # not in the spec: the model's default component
            default = PipelineSpec.model_fields[field_name].get_default(call_default_factory=True)
            yield kind, (field_name,), default.model_dump(by_alias=True), True


def _component_report(loaded: LoadedSpec, registry: Registry) -> Report:
    report = Report()
    locations = loaded.locations
    known: dict[NodePath, ComponentInfo] = {}
    built: dict[NodePath, tuple[ComponentInfo, Any]] = {}
    for kind, path, ref, is_default in _component_refs(loaded.data):
        name = ref.get("use")
        if not isinstance(name, str):
            continue  # a shape problem, already reported
        where = locations.of((*path, "use"))
        info = registry.components[kind].get(name)
        if info is None:
            what, fix = _unknown(registry, kind, name)
            if is_default:
                what = f"the spec has no `{path[0]}:`, so the default is used: {what}"
            report.problems.append(problem(where, what, fix))
            continue
        known[path] = info
        report.components.append(ComponentUse(kind, name, info.distribution, info.source.version))
        options = ref.get("with") or {}
        if not isinstance(options, dict):
            continue
        instance = _build(info, options, (*path, "with"), locations, report.problems)
        if instance is not None:
            built[path] = (info, instance)

    for path, (info, instance) in built.items():
        if info.kind != "llm":
            for found in _check(info, instance):
                report.problems.append(problem(locations.of((*path, "use")), found))
    _check_llm(loaded, registry, built.get(("llm",)), report)
    for info, instance in built.values():
        if info.kind == "cache":  # checking may have connected; validation holds nothing open
            with contextlib.suppress(Exception):
                instance.close()
    _check_tracks(loaded, registry, known, report)
    return report


def _unknown(registry: Registry, kind: Kind, name: str) -> tuple[str, str | None]:
    """(what, fix) for a component name nothing registered, saying so when its plugin is broken."""
    provider = KNOWN_PROVIDERS.get(name)
    failures = [p for p in registry.problems if provider and p.distribution == provider]
    if not failures:
        return unknown_component_message(registry, kind, name), None
    return (f"{kind.replace('_', ' ')} {name!r} comes from {provider}, which is installed but "
            f"failed to load: {failures[0].error}",
            f"install what it is missing, or reinstall it: pip install --force-reinstall "
            f"{provider}; `halo plugins` shows every plugin's state")


def _subject(info: ComponentInfo) -> str:
    """e.g. `chunker 'rules' (halo-core)`."""
    distribution = info.distribution.strip("()")  # plugins registered at run time have "(…)"
    return f"{info.kind.replace('_', ' ')} {info.name!r} ({distribution})"


def _build(info: ComponentInfo, options: dict[str, Any], path: NodePath, locations: Locations,
           problems: list[str]) -> Any:
    try:
        config = info.cls.Config.model_validate(options)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(exc, path, info.cls.Config, locations, _subject(info)))
        return None
    try:
        return info.cls(config)
    except Exception as exc:  # a plugin bug, reported like a problem so validation goes on
        problems.append(problem(locations.of(path),
                                f"{_subject(info)} failed to build: {type(exc).__name__}: {exc}",
                                f"report it to {info.distribution}"))
        return None


def _check(info: ComponentInfo, instance: Any) -> list[str]:
    try:
        return [f"{_subject(info)}: {found}" for found in instance.check()]
    except Exception as exc:
        return [f"{_subject(info)}: check() failed: {type(exc).__name__}: {exc}"]


def _check_llm(loaded: LoadedSpec, registry: Registry,
               primary: tuple[ComponentInfo, Any] | None, report: Report) -> None:
    """Mirror `pipeline.build_llm`: the first of the chain that can run is used."""
    locations = loaded.locations
    fallback = loaded.data.get("llm", {}).get("fallback") if isinstance(
        loaded.data.get("llm"), dict) else None
    chain: list[tuple[str, list[str]]] = []
    if primary is not None:
        chain.append((primary[0].name, _check(*primary)))
    for index, name in enumerate(fallback if isinstance(fallback, list) else []):
        where = locations.of(("llm", "fallback", index))
        if not isinstance(name, str):
            continue
        info = registry.components["llm"].get(name)
        if info is None:
            what, fix = _unknown(registry, "llm", name)
            report.problems.append(problem(where, f"llm fallback: {what}", fix))
            continue
        report.components.append(ComponentUse("llm", name, info.distribution, info.source.version,
                                              role="llm fallback"))
        instance = _build(info, {}, ("llm", "fallback", index), locations, report.problems)
        if instance is not None:
            chain.append((name, _check(info, instance)))
    if primary is None or not chain:
        return
    usable = next((name for name, found in chain if not found), None)
    where = locations.of(("llm", "use"))
    if usable is None:
        fix = None if len(chain) > 1 else (
            f"fix that, or add a fallback: `llm: {{use: {chain[0][0]}, fallback: [extractive]}}`")
        report.problems.extend(problem(where, found, fix) for _, found_list in chain
                               for found in found_list)
    elif usable != chain[0][0]:
        report.notices.append(f"llm {chain[0][0]!r} cannot run here "
                              f"({'; '.join(chain[0][1])}); {usable!r} will be used instead")


def _check_tracks(loaded: LoadedSpec, registry: Registry, known: dict[NodePath, ComponentInfo],
                  report: Report) -> None:
    """Every track an extractor requires is provided by another extractor, with no cycle."""
    registry_extractors = registry.components["extractor"]
    extractors = {path: info for path, info in known.items() if path[0] == "extractors"}
    providers: dict[str, list[str]] = {}
    for info in extractors.values():
        providers.setdefault(str(getattr(info.cls, "provides", "")), []).append(info.name)
    for path, info in extractors.items():
        for track in getattr(info.cls, "requires", ()):
            if [n for n in providers.get(track, []) if n != info.name]:
                continue
            installed = sorted(n for n, e in registry_extractors.items()
                               if getattr(e.cls, "provides", None) == track and n != info.name)
            others = f" (also provided by: {', '.join(installed[1:])})" if installed[1:] else ""
            fix = (f"add an extractor that provides it: `- use: {installed[0]}`{others}"
                   if installed else
                   "no installed extractor provides it: install a plugin that does "
                   "(`halo plugins` lists what is installed), or remove this extractor")
            report.problems.append(problem(loaded.locations.of((*path, "use")),
                                           f"extractor {info.name!r} requires the {track!r} track, "
                                           "which no other extractor in this spec provides", fix))
    cycle = _find_cycle({info.name: (str(getattr(info.cls, "provides", "")),
                                     tuple(getattr(info.cls, "requires", ())))
                         for info in extractors.values()})
    if cycle:
        first = next(p for p, i in extractors.items() if i.name == cycle[0])
        report.problems.append(problem(loaded.locations.of((*first, "use")),
                                       "extractors depend on each other in a cycle: "
                                       + " -> ".join(cycle), "remove one of them"))


def _find_cycle(graph: dict[str, tuple[str, tuple[str, ...]]]) -> list[str]:
    """A cycle among extractors (name -> (provides, requires)), as names, or []."""
    by_track: dict[str, list[str]] = {}
    for name, (provides, _) in graph.items():
        by_track.setdefault(provides, []).append(name)
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(name: str) -> list[str]:
        state[name] = 1
        stack.append(name)
        for track in graph[name][1]:
            for upstream in by_track.get(track, []):
                if upstream == name:
                    continue
                if state.get(upstream) == 1:
                    return [*stack[stack.index(upstream):], upstream]
                if upstream not in state and (found := visit(upstream)):
                    return found
        stack.pop()
        state[name] = 2
        return []

    for name in graph:
        if name not in state and (found := visit(name)):
            return found
    return []


def _media_problems(loaded: LoadedSpec, built_extractors: list[ComponentInfo],
                    report: Report) -> None:
    from .media import probe

    for path in loaded.inputs:
        where = loaded.input_origins.get(path, str(loaded.path))
        try:
            media = probe(path)
        except MediaError as exc:
            report.problems.append(problem(f"{where}: {exc.where or path}", exc.what, exc.fix))
            continue
        report.media.append(media)
        present = {"audio"} if media.has_audio else set()
        present |= {"video"} if media.has_video else set()
        for info in built_extractors:
            for need in sorted(getattr(info.cls, "media_needs", frozenset()) - present):
                report.problems.append(problem(
                    f"{where}: {path}", f"has no {need} stream, but {_subject(info)} needs one",
                    f"pass a file with {need}, or remove that extractor"))


def inspect_spec(loaded: LoadedSpec, *, media: bool = False) -> Report:
    """Everything `validate` finds, plus notices and the components (with distributions) used."""
    registry = get_registry()
    report = _component_report(loaded, registry)
    if media:
        extractors = [registry.components["extractor"][u.name] for u in report.components
                      if u.kind == "extractor"]
        _media_problems(loaded, extractors, report)
    # a problem may quote a value, and values from the environment are secrets
    report.problems = [loaded.redact(p) for p in report.problems]
    report.notices = [loaded.redact(n) for n in report.notices]
    return report


def validate(loaded: LoadedSpec, *, media: bool = False) -> list[str]:
    """Every problem that would stop this spec from building or running, each `file:line:col: …`.

    With `media=True`, each input is also probed (streams, not decoding): not media, empty,
    unreadable, or lacking a stream an extractor needs.
    """
    return inspect_spec(loaded, media=media).problems


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
