"""Cache backends `memory` and `sqlite`: namespaced JSON values with TTL and an LRU size bound.

Values are stored as JSON text (never pickle), so what comes back is always a fresh copy and a
value that JSON cannot represent is rejected with `TypeError` at `set` time, not at read time.
Tuples come back as lists and non-string dict keys as strings, as with any JSON round trip.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import Field

from ..components import CacheBackend, ComponentConfig
from ..hookspecs import Register, hookimpl
from ..model import JSONValue


def encode_value(value: JSONValue) -> str:
    """The JSON text of `value`; TypeError when it is not JSON-safe (objects, bytes, NaN, ...)."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"cache values must be JSON-safe (None, bool, int, float, str, list, dict): {exc}"
        ) from None


def expires_at(ttl: float | None, default_ttl: float | None, now: float) -> float | None:
    """The absolute expiry time (on the clock that gave `now`) for a TTL in seconds (`ttl`, else
    the backend's `default_ttl`), or None for never; ValueError for a TTL that is not > 0."""
    seconds = ttl if ttl is not None else default_ttl
    if seconds is None:
        return None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"ttl must be a positive number of seconds, got {seconds!r}")
    return now + seconds


class CacheConfig(ComponentConfig):
    max_entries: int = Field(
        default=100_000,
        ge=1,
        description="bound on the number of entries; least recently used go first",
    )
    ttl: float | None = Field(
        default=None,
        gt=0,
        description="default time to live in seconds (None: entries never expire)",
    )


class MemoryCache(CacheBackend[CacheConfig]):
    """An in-process cache (thread-safe); gone when the process ends."""

    name = "memory"
    version = "1"
    Config = CacheConfig
    description = "in-process LRU cache of JSON values (thread-safe, not persistent)"

    def __init__(self, config: CacheConfig | None = None) -> None:
        super().__init__(config)
        self._lock = threading.Lock()
        # (namespace, key) -> (JSON text, expiry); order = least recently used first
        self._entries: OrderedDict[tuple[str, str], tuple[str, float | None]] = OrderedDict()

    def get(self, namespace: str, key: str) -> JSONValue | None:
        with self._lock:
            entry = self._entries.get((namespace, key))
            if entry is None:
                return None
            text, expires = entry
            if expires is not None and expires <= self.clock():
                del self._entries[(namespace, key)]
                return None
            self._entries.move_to_end((namespace, key))
        return json.loads(text)

    def set(self, namespace: str, key: str, value: JSONValue, ttl: float | None = None) -> None:
        text = encode_value(value)
        expires = expires_at(ttl, self.config.ttl, self.clock())
        with self._lock:
            self._entries[(namespace, key)] = (text, expires)
            self._entries.move_to_end((namespace, key))
            if len(self._entries) > self.config.max_entries:
                self._drop_expired()
            while len(self._entries) > self.config.max_entries:
                self._entries.popitem(last=False)

    def delete(self, namespace: str, key: str) -> bool:
        with self._lock:
            return self._entries.pop((namespace, key), None) is not None

    def scan(self, namespace: str) -> Iterator[tuple[str, JSONValue]]:
        with self._lock:
            self._drop_expired()
            items = [(k, text) for (ns, k), (text, _) in self._entries.items() if ns == namespace]
        for key, text in items:
            yield key, json.loads(text)

    def stats(self) -> dict[str, int]:
        with self._lock:
            self._drop_expired()
            return dict(Counter(ns for ns, _ in self._entries))

    def clear(self, namespace: str | None = None) -> int:
        with self._lock:
            doomed = [k for k in self._entries if namespace is None or k[0] == namespace]
            for k in doomed:
                del self._entries[k]
            return len(doomed)

    def _drop_expired(self) -> None:
        now = self.clock()
        for k in [
            k for k, (_, expires) in self._entries.items() if expires is not None and expires <= now
        ]:
            del self._entries[k]


class SqliteCacheConfig(CacheConfig):
    path: Path = Field(
        default=Path(".halo/cache.db"), description="database file; parent folders are created"
    )
    busy_timeout_ms: int = Field(
        default=30_000, ge=0, description="how long a writer waits for another process's lock"
    )


_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    expires REAL,
    used INTEGER NOT NULL,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_used ON entries (used);
CREATE INDEX IF NOT EXISTS entries_expires ON entries (expires) WHERE expires IS NOT NULL;
"""


_SETUP_LOCK = threading.Lock()


def _retry_while_locked(statement: Callable[[], object], timeout_ms: int) -> None:
    """Run `statement`, retrying while another connection holds the database (other processes)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            statement()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class SqliteCache(CacheBackend[SqliteCacheConfig]):
    """A persistent cache in one SQLite file, safe to share between threads and processes.

    WAL journaling lets readers run beside a writer; writes take the lock up front
    (BEGIN IMMEDIATE) and wait up to `busy_timeout_ms` for it. Each thread (and each process
    after a fork) opens its own connection. LRU order is a global counter stamped on every read
    and write, so it holds across processes.
    """

    name = "sqlite"
    version = "1"
    Config = SqliteCacheConfig
    description = "persistent LRU cache of JSON values in a SQLite file (safe across processes)"

    def __init__(self, config: SqliteCacheConfig | None = None) -> None:
        super().__init__(config)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()

    def _db(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        path = self.config.path
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            path,
            timeout=self.config.busy_timeout_ms / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.execute(f"PRAGMA busy_timeout = {self.config.busy_timeout_ms}")
        # Switching to WAL needs the database to itself and SQLite does not wait for that (no
        # busy handler): threads opening their first connection at once failed with "database is
        # locked". Set it up once per process, under a lock, and only when not in WAL yet.
        with _SETUP_LOCK:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                _retry_while_locked(
                    lambda: conn.execute("PRAGMA journal_mode = WAL"), self.config.busy_timeout_ms
                )
            conn.execute("PRAGMA synchronous = NORMAL")
            with _write(conn):
                for statement in _SCHEMA.split(";"):
                    conn.execute(statement)
        self._local.conn, self._local.pid = conn, os.getpid()
        with self._connections_lock:
            self._connections.append(conn)
        return conn

    def get(self, namespace: str, key: str) -> JSONValue | None:
        conn = self._db()
        with _write(conn):
            row = conn.execute(
                "SELECT value, expires FROM entries WHERE namespace = ? AND key = ?",
                (namespace, key),
            ).fetchone()
            if row is None:
                return None
            if row[1] is not None and row[1] <= self.clock():
                conn.execute(
                    "DELETE FROM entries WHERE namespace = ? AND key = ?", (namespace, key)
                )
                return None
            conn.execute(
                f"UPDATE entries SET used = ({_NEXT_USE}) WHERE namespace = ? AND key = ?",
                (namespace, key),
            )
        return json.loads(row[0])

    def set(self, namespace: str, key: str, value: JSONValue, ttl: float | None = None) -> None:
        text = encode_value(value)
        expires = expires_at(ttl, self.config.ttl, self.clock())
        conn = self._db()
        with _write(conn):
            conn.execute(
                f"INSERT OR REPLACE INTO entries (namespace, key, value, expires, used)"
                f" VALUES (?, ?, ?, ?, ({_NEXT_USE}))",
                (namespace, key, text, expires),
            )
            excess = (
                conn.execute("SELECT count(*) FROM entries").fetchone()[0] - self.config.max_entries
            )
            if excess > 0:
                conn.execute(
                    "DELETE FROM entries WHERE expires IS NOT NULL AND expires <= ?",
                    (self.clock(),),
                )
                excess = (
                    conn.execute("SELECT count(*) FROM entries").fetchone()[0]
                    - self.config.max_entries
                )
            if excess > 0:
                conn.execute(
                    "DELETE FROM entries WHERE (namespace, key) IN"
                    " (SELECT namespace, key FROM entries ORDER BY used LIMIT ?)",
                    (excess,),
                )

    def delete(self, namespace: str, key: str) -> bool:
        conn = self._db()
        with _write(conn):
            cursor = conn.execute(
                "DELETE FROM entries WHERE namespace = ? AND key = ?", (namespace, key)
            )
        return cursor.rowcount > 0

    def scan(self, namespace: str) -> Iterator[tuple[str, JSONValue]]:
        rows = (
            self._db()
            .execute(
                "SELECT key, value FROM entries"
                " WHERE namespace = ? AND (expires IS NULL OR expires > ?) ORDER BY key",
                (namespace, self.clock()),
            )
            .fetchall()
        )
        for key, text in rows:
            yield key, json.loads(text)

    def stats(self) -> dict[str, int]:
        rows = (
            self._db()
            .execute(
                "SELECT namespace, count(*) FROM entries"
                " WHERE expires IS NULL OR expires > ? GROUP BY namespace",
                (self.clock(),),
            )
            .fetchall()
        )
        return {ns: n for ns, n in rows}

    def clear(self, namespace: str | None = None) -> int:
        conn = self._db()
        with _write(conn):
            if namespace is None:
                cursor = conn.execute("DELETE FROM entries")
            else:
                cursor = conn.execute("DELETE FROM entries WHERE namespace = ?", (namespace,))
        return cursor.rowcount

    def close(self) -> None:
        with self._connections_lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()


_NEXT_USE = "SELECT coalesce(max(used), 0) + 1 FROM entries"


class _write:
    """A write transaction that takes the database lock up front (no lock-upgrade deadlocks)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


@hookimpl
def register_cache_backends(register: Register) -> None:
    register(MemoryCache)
    register(SqliteCache)
