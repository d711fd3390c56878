"""Where a library keeps what: `LibraryFolder` names every path, `locked` serializes the work
on one file across processes (fcntl locks, which also hold on NFS with lockd)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .catalog import CATALOG


@dataclass(frozen=True)
class LibraryFolder:
    """A library folder:

    - `catalog.sqlite`: the videos (`catalog.Catalog`)
    - `spec.json`: the spec media files are run with, and the library's Q&A pipeline
    - `videos/<sha16>/`: one video's passage and chunk indexes (made when it is added)
    - `runs/<sha16>/`: run folders (and their artifacts) of media the library ran itself
    - `notes.md`: the library's summary and index; `sessions/`: conversations
    """

    path: Path

    @property
    def spec(self) -> Path:
        return self.path / "spec.json"

    @property
    def notes(self) -> Path:
        return self.path / "notes.md"

    def video_indexes(self, key: str) -> Path:
        return self.path / "videos" / key

    def runs(self, key: str) -> Path:
        return self.path / "runs" / key

    def lock(self, name: str) -> Path:
        return self.path / ".locks" / f"{name}.lock"


def is_library(path: Path) -> bool:
    return (Path(path) / CATALOG).is_file()


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) for the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
