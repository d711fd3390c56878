"""Writing a run's folder: `<outputs>/<spec name>/<media stem>/`.

Every file is validated against its model before it is written, written atomically, and passed
through the spec's `redact` on the way, so no secret reaches an output.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from ..artifacts import atomic_write_bytes
from ..model import JSONValue
from .notes import render_notes
from .svg import render_timeline_svg

__all__ = ["RunFolder", "render_notes", "render_timeline_svg"]


class RunFolder:
    """One input's output folder; `redact` is applied to every text written into it."""

    def __init__(self, path: Path, redact: Callable[[str], str]) -> None:
        self.path = Path(path)
        self.redact = redact
        self.written: set[str] = set()

    def write_model(self, name: str, model: BaseModel) -> Path:
        # Round-trip through the model's own class so nothing invalid is ever written.
        checked = type(model).model_validate(model.model_dump(mode="json"))
        return self.write_text(name, checked.model_dump_json(indent=2) + "\n")

    def write_json(self, name: str, value: JSONValue) -> Path:
        return self.write_text(name, json.dumps(value, indent=2, ensure_ascii=False) + "\n")

    def write_text(self, name: str, text: str) -> Path:
        """Write `name` atomically, unless it already holds exactly this text (a re-run)."""
        target = self.path / name
        data = self.redact(text).encode("utf-8")
        try:
            unchanged = target.read_bytes() == data
        except OSError:
            unchanged = False
        if not unchanged:
            atomic_write_bytes(target, data)
        self.written.add(name)
        return target

    def remove(self, *names: str) -> None:
        for name in names:
            (self.path / name).unlink(missing_ok=True)

    def remove_unwritten(self, *names: str) -> None:
        """Remove those of `names` this run did not write: a previous run's, now stale."""
        self.remove(*(name for name in names if name not in self.written))
