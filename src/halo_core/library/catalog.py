"""The library's catalog: one SQLite file (`<library>/catalog.sqlite`) listing its videos.

Every change runs in one `BEGIN IMMEDIATE` transaction, so processes adding to the same library
at once (also on shared storage: no WAL, the default rollback journal) are serialized by SQLite
itself and none loses another's video. A video is known by its media's SHA-256: adding the same
media again finds the entry already there.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from ..errors import HaloError

CATALOG = "catalog.sqlite"
BUSY_TIMEOUT_S = 120.0
"""How long a process waits for another's transaction (a commit takes milliseconds)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS videos (
    id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    file TEXT NOT NULL,
    run_folder TEXT NOT NULL,
    date TEXT NOT NULL,
    added_at TEXT NOT NULL,
    duration REAL NOT NULL,
    overview TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cache_scopes (
    namespace TEXT PRIMARY KEY,
    shas TEXT NOT NULL
);
"""
_COLUMNS = "id, sha256, title, file, run_folder, date, added_at, duration, overview"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class VideoEntry(BaseModel):
    """One video of a library."""

    id: str
    """short, URL-safe, unique in the library: made from the media's name"""
    sha256: str
    title: str
    file: str
    """the media file"""
    run_folder: str
    """the run folder its results are read from (absolute)"""
    date: str
    """the day the media was recorded (its file's modification day, UTC): what --since reads"""
    added_at: str
    duration: float
    overview: str = ""
    """what the video covers (its video summary): for notes.md and collection questions"""

    @property
    def index_key(self) -> str:
        """Names the video's index folder: by content, so a re-added video finds it again."""
        return self.sha256[:16]


def video_id_for(stem: str, sha256: str, taken: set[str]) -> str:
    """An id from the media's name; its hash is appended when another video has that name."""
    base = _UNSAFE.sub("-", stem).strip("-.").lower()[:40] or "video"
    return base if base not in taken else f"{base}-{sha256[:8]}"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Catalog:
    """The catalog of the library in `folder` (created on first use)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / CATALOG
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            with self._transaction():
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    self._db.execute(statement)
        except (OSError, sqlite3.Error) as exc:
            raise HaloError(
                f"cannot open the library catalog: {exc}",
                where=str(self.path),
                fix="pass a folder you can write to (a new library is created there)",
            ) from None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def videos(self) -> list[VideoEntry]:
        """Every video, in the order they were added."""
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM videos ORDER BY rowid").fetchall()
        return [_entry(row) for row in rows]

    def find(self, video: str) -> VideoEntry | None:
        """The video with this id (or this media SHA-256), or None."""
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM videos WHERE id = ? OR sha256 = ?",
            (video, video),
        ).fetchone()
        return None if row is None else _entry(row)

    def add(self, entry: VideoEntry) -> tuple[VideoEntry, bool]:
        """Insert `entry` (its id made unique); (the stored entry, True) or, when its media is
        already in the library, (that entry, False)."""
        with self._transaction() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM videos WHERE sha256 = ?",
                (entry.sha256,),
            ).fetchone()
            if row is not None:
                return _entry(row), False
            taken = {r[0] for r in db.execute("SELECT id FROM videos")}
            entry = entry.model_copy(update={"id": video_id_for(entry.id, entry.sha256, taken)})
            db.execute(
                "INSERT INTO videos VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.id,
                    entry.sha256,
                    entry.title,
                    entry.file,
                    entry.run_folder,
                    entry.date,
                    entry.added_at,
                    entry.duration,
                    entry.overview,
                ),
            )
            return entry, True

    def remove(self, video: str) -> VideoEntry | None:
        """Delete the video with this id (or media SHA-256); the removed entry, or None."""
        with self._transaction() as db:
            found = self.find(video)
            if found is not None:
                db.execute("DELETE FROM videos WHERE id = ?", (found.id,))
            return found

    def note_scope(self, namespace: str, shas: list[str]) -> None:
        """Remember that cache `namespace` holds entries about exactly these videos' media,
        so `gc` can drop it once one of them has left the library."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO cache_scopes VALUES (?, ?)",
                (namespace, json.dumps(sorted(set(shas)))),
            )

    def scopes(self) -> list[tuple[str, list[str]]]:
        rows = self._db.execute("SELECT namespace, shas FROM cache_scopes").fetchall()
        return [(str(ns), list(json.loads(shas))) for ns, shas in rows]

    def forget_scopes(self, namespaces: list[str]) -> None:
        with self._transaction() as db:
            db.executemany(
                "DELETE FROM cache_scopes WHERE namespace = ?", [(n,) for n in namespaces]
            )

    def close(self) -> None:
        self._db.close()


def _entry(row: tuple[object, ...]) -> VideoEntry:
    keys = (
        "id",
        "sha256",
        "title",
        "file",
        "run_folder",
        "date",
        "added_at",
        "duration",
        "overview",
    )
    return VideoEntry.model_validate(dict(zip(keys, row, strict=True)))
