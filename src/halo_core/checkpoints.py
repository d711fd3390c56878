"""Checkpoints: the finished parts of a long stage, kept so an interrupted stage resumes from its
last finished part instead of from the start.

A stage is the unit of caching, and a 3-hour transcription killed near its end (Ctrl-C, a lost Ray
worker, an out-of-memory kill) would otherwise start over. A component that works in parts
(windows of audio...) asks its `RunContext` for a checkpoint and stores each finished part; on
the next attempt it reads the parts back and computes only the rest. Parts live in the stage's
work folder, which is per artifact key (media, component identity, upstream keys), so a part is
only ever read back by the same computation. Values are JSON, written atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

from .artifacts import atomic_write_json
from .model import JSONValue


class Checkpoint:
    """Finished parts of one stage by name (`get` / `put`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.reused = 0
        """parts read back so far: what the stage did not have to compute again"""

    def _path(self, part: str) -> Path:
        return self.folder / f"{part}.json"

    def get(self, part: str) -> JSONValue | None:
        try:
            value: JSONValue = json.loads(self._path(part).read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            return None  # never finished, or cut short while written: compute it again
        self.reused += 1
        return value

    def put(self, part: str, value: JSONValue) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self._path(part), value, indent=None)
