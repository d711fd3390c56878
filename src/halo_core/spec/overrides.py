"""`--set path=value` overrides, applied to the parsed spec before interpolation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel

from ..components import Kind
from ..plugins import Registry
from ..spec_model import PipelineSpec
from .problems import Locations, NodePath, dotted, problem, subject
from .shape import COMPONENT_FIELDS, did_you_mean, field_of, keys_of, model_of


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
    found = field_of(position.model, key)
    if found is None:
        return _Position(None)
    name, info = found
    kind = COMPONENT_FIELDS.get(name) if position.model is PipelineSpec else position.kind
    if name == "with_" and position.kind is not None:
        component = registry.components[position.kind].get(str(node.get("use")))
        if component is None:  # an unknown component: reported by validation, any key goes here
            return _Position(None)
        return _Position(component.cls.Config, label=f" (options of {subject(component)})")
    return _Position(model_of(info.annotation), kind)


def _default_value(position: _Position, key: str) -> Any:
    """What a `--set` into a missing mapping starts from: the field's default, e.g. the default
    chunker's `{use: rules}` for `--set chunker.with.max_duration=60`, else an empty mapping."""
    found = field_of(position.model, key) if position.model is not None else None
    if found is not None and not found[1].is_required():
        default = found[1].get_default(call_default_factory=True)
        if isinstance(default, BaseModel):
            return default.model_dump(by_alias=True)
        if isinstance(default, list | dict):
            return type(default)(default)
    return {}


def apply_override(data: dict[str, Any], assignment: str, locations: Locations,
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
            allowed = keys_of(position.model) if position.model is not None else None
            if segment not in node and allowed is not None and segment not in allowed:
                options = sorted(set(allowed) | {str(k) for k in node})
                return problem(where, f"unknown path {key_text!r}: {dotted(path)}{position.label}"
                               f" has no key {segment!r}", did_you_mean(segment, options))
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
