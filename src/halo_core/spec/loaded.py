"""`LoadedSpec`: a spec ready to run, with what validation and storing it need."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..spec_model import PipelineSpec
from .interpolation import redact, restore_raw
from .problems import Locations, NodePath


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
        if self.spec.executor == PipelineSpec.model_fields["executor"].get_default(
            call_default_factory=True
        ):  # how a run ran does not change what it made: run.json reads as before executors
            del data["executor"]
        written = {p: text for p, text in self.raw_strings.items() if p[:1] != ("inputs",)}
        restored: dict[str, Any] = restore_raw(data, (), written)
        return restored

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
