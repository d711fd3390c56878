"""How spec problems are written, and where in the spec each one points."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..plugins import ComponentInfo

NodePath = tuple[str | int, ...]


def dotted(path: NodePath) -> str:
    return ".".join(str(part) for part in path) or "(the spec)"


def problem(where: str, what: str, fix: str | None = None) -> str:
    """One problem line: `where: what (fix: how)`."""
    return f"{where}: {what} (fix: {fix})" if fix else f"{where}: {what}"


def subject(info: ComponentInfo) -> str:
    """e.g. `chunker 'rules' (halo-core)`."""
    distribution = info.distribution.strip("()")  # plugins registered at run time have "(…)"
    return f"{info.kind.replace('_', ' ')} {info.name!r} ({distribution})"


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
