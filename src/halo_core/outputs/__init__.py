"""Writing a run's folder: `<outputs>/<spec name>/<media stem>/`.

Every file is validated against its model before it is written, written atomically, and passed
through the spec's `redact` on the way, so no secret reaches an output.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from ..artifacts import atomic_write_text
from ..model import JSONValue
from .notes import render_notes
from .svg import render_timeline_svg

__all__ = ["RunFolder", "render_notes", "render_timeline_svg"]


class RunFolder:
    """One input's output folder; `redact` is applied to every text written into it."""

    def __init__(self, path: Path, redact: Callable[[str], str]) -> None:
        self.path = Path(path)
        self.redact = redact

    def write_model(self, name: str, model: BaseModel) -> Path:
        # Round-trip through the model's own class so nothing invalid is ever written.
        checked = type(model).model_validate(model.model_dump(mode="json"))
        return self.write_text(name, checked.model_dump_json(indent=2) + "\n")

    def write_json(self, name: str, value: JSONValue) -> Path:
        return self.write_text(name, json.dumps(value, indent=2, ensure_ascii=False) + "\n")

    def remove(self, *names: str) -> None:
        for name in names:
            (self.path / name).unlink(missing_ok=True)

    def write_text(self, name: str, text: str) -> Path:
        target = self.path / name
        atomic_write_text(target, self.redact(text))
        return target
