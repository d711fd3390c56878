"""The shape of a spec, read from its pydantic models: for `--set` paths, error hints, and
pydantic errors reported as spec problems."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from ..components import Kind
from ..kinds import KINDS
from .problems import Locations, NodePath, dotted, problem

COMPONENT_FIELDS: dict[str, Kind] = {row.field: row.kind for row in KINDS}
"""Top-level spec fields that name a component, and the kind of component each names."""


def model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model an annotation holds (directly, in a list, or in an Optional)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            model = model_of(arg)
            if model is not None:
                return model
    return None


def field_of(model: type[BaseModel], key: str) -> tuple[str, Any] | None:
    """(field name, FieldInfo) of `key` (a name or an alias) in `model`."""
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return name, info
    return None


def keys_of(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _close(word: str, options: Sequence[str]) -> list[str]:
    return difflib.get_close_matches(word, list(options), n=3, cutoff=0.6)


def did_you_mean(word: str, options: Sequence[str]) -> str:
    close = _close(word, options)
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    return "known keys: " + (", ".join(sorted(options)) or "(none)")


# --- pydantic errors as spec problems ----------------------------------------------------------


def _field_at(model: type[BaseModel], loc: NodePath) -> tuple[type[BaseModel] | None, Any]:
    """The model owning the last named step of `loc`, and that step's FieldInfo (or None)."""
    owner: type[BaseModel] | None = model
    info: Any = None
    for step in loc:
        if isinstance(step, int) or owner is None:
            continue
        found = field_of(owner, step)
        if found is None:
            return owner, None
        info = found[1]
        inner = model_of(info.annotation)
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


def pydantic_problems(exc: ValidationError, base: NodePath, model: type[BaseModel],
                      locations: Locations, subject: str = "") -> list[str]:
    problems = []
    for error in exc.errors():
        loc: NodePath = tuple(error["loc"])
        path = (*base, *loc)
        name = dotted(path)
        prefix = f"{subject}: " if subject else ""
        if error["type"] == "extra_forbidden":
            owner, _ = _field_at(model, loc[:-1])
            known = keys_of(owner) if owner else []
            fix = (did_you_mean(str(loc[-1]), known) if known
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
