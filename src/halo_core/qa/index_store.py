"""Vector indexes Q&A keeps in the run folder, rebuilt when their key no longer matches."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..artifacts import atomic_write_json
from ..components import VectorIndex

log = logging.getLogger("halo.qa")


def stored_index(
    folder: Path,
    key: str,
    fresh: Callable[[], VectorIndex[Any]],
    build: Callable[[], tuple[list[str], np.ndarray]],
) -> VectorIndex[Any]:
    """The index saved in `folder` when its stage.json carries `key`; else built and saved."""
    index = fresh()
    index = fresh()
    record = folder / "stage.json"
    try:
        if record.is_file() and json.loads(record.read_text())["key"] == key:
            index.load(folder)
            return index
    except Exception as exc:  # an unreadable saved index is rebuilt, never fatal
        log.warning("rebuilding the index in %s (%s)", folder, exc)
        index = fresh()
    ids, vectors = build()
    if ids:
        index.add(ids, vectors)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        index.save(folder)
        atomic_write_json(record, {"key": key})
    except OSError as exc:  # a read-only run folder only costs the rebuild next time
        log.warning("cannot save the index in %s (%s)", folder, exc)
    return index
