"""Reading a spec file and parsing its YAML (safe loader only), keeping every node's position."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import HaloError, SpecError
from .problems import Locations, NodePath, problem


def _mark(file: str, mark: yaml.Mark | None) -> str:
    return f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file


def parse(text: str, file: str) -> tuple[Any, Locations]:
    """The spec's data, and the `file:line:col` of each of its values and keys."""
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


def read_spec_file(path: Path) -> str:
    """The spec's text; a HaloError saying how to fix a missing, unreadable or non-UTF-8 file."""
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
