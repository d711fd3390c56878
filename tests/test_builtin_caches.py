"""The built-in caches against the shared cache contract, plus sqlite's own promises:
persistence across instances and correctness with several writer processes."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter, OrderedDict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halo_core.builtins.caches import MemoryCache, SqliteCache
from halo_core.plugins import get_registry
from halo_core.testing.cache_contract import CacheBackendContract, MakeBackend


class TestMemoryCache(CacheBackendContract):
    @pytest.fixture
    def make_backend(self) -> MakeBackend:
        def make(max_entries: int | None = None) -> MemoryCache:
            return MemoryCache.from_options({"max_entries": max_entries} if max_entries else {})

        return make

    def test_thread_safe(self, cache: MemoryCache) -> None:
        def write(t: int) -> None:
            for i in range(300):
                cache.set(f"ns{t % 2}", f"{t}-{i}", i)
                assert cache.get(f"ns{t % 2}", f"{t}-{i}") == i

        threads = [threading.Thread(target=write, args=(t,)) for t in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert cache.stats() == {"ns0": 900, "ns1": 900}


class TestSqliteCache(CacheBackendContract):
    @pytest.fixture
    def make_backend(self, tmp_path: Path) -> MakeBackend:
        def make(max_entries: int | None = None) -> SqliteCache:
            options: dict[str, Any] = {"path": str(tmp_path / "deep" / "dir" / "cache.db")}
            if max_entries:
                options["max_entries"] = max_entries
            return SqliteCache.from_options(options)

        return make

    def test_persists_across_instances(self, built: MakeBackend, tmp_path: Path) -> None:
        first = built()
        first.set("ns", "k", {"v": 1}, ttl=60)
        first.close()
        assert (tmp_path / "deep" / "dir" / "cache.db").exists()
        assert built().get("ns", "k") == {"v": 1}

    def test_uses_wal(self, cache: SqliteCache) -> None:
        cache.set("ns", "k", 1)
        assert cache._db().execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    def test_threads_share_one_backend(self, cache: SqliteCache) -> None:
        def write(t: int) -> None:
            for i in range(50):
                cache.set("ns", f"{t}-{i}", i)

        threads = [threading.Thread(target=write, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert cache.stats() == {"ns": 200}

    def test_several_writer_processes(self, tmp_path: Path) -> None:
        path = tmp_path / "shared.db"
        context = multiprocessing.get_context("spawn")
        with context.Pool(4) as pool:
            pool.starmap(_write_many, [(str(path), w, 150, 10_000) for w in range(4)])
        cache = SqliteCache.from_options({"path": str(path)})
        assert cache.stats() == {f"w{w}": 150 for w in range(4)}
        assert all(
            cache.get(f"w{w}", f"k{i}") == {"w": w, "i": i} for w in range(4) for i in range(150)
        )
        cache.close()

    def test_size_bound_holds_across_processes(self, tmp_path: Path) -> None:
        path = tmp_path / "bounded.db"
        context = multiprocessing.get_context("spawn")
        with context.Pool(3) as pool:
            pool.starmap(_write_many, [(str(path), w, 100, 40) for w in range(3)])
        cache = SqliteCache.from_options({"path": str(path), "max_entries": 40})
        assert sum(cache.stats().values()) == 40
        cache.close()


def _write_many(path: str, writer: int, count: int, max_entries: int) -> None:
    cache = SqliteCache.from_options({"path": path, "max_entries": max_entries})
    for i in range(count):
        cache.set(f"w{writer}", f"k{i}", {"w": writer, "i": i})
        cache.get(f"w{writer}", f"k{i // 2}")
    cache.close()


def test_registered_as_builtins() -> None:
    registry = get_registry()
    assert registry.get("cache", "memory").cls is MemoryCache
    assert registry.get("cache", "sqlite").cls is SqliteCache
    assert registry.get("cache", "sqlite").distribution == "halo-core"


def test_default_path_is_under_dot_halo() -> None:
    assert SqliteCache().config.path == Path(".halo/cache.db")


Operation = tuple[str, str, str, int]
operations = st.lists(
    st.tuples(
        st.sampled_from(["set", "set", "set", "get", "get", "get", "delete", "clear_ns"]),
        st.sampled_from(["a", "a", "a", "b"]),
        st.sampled_from(["k1", "k2", "k3"]),
        st.integers(0, 9),
    ),
    min_size=5,
    max_size=60,
)


def check_against_a_reference_lru(cache: MemoryCache | SqliteCache, ops: list[Operation]) -> None:
    """Every operation answers as an exact LRU dictionary bounded to 3 entries would."""
    reference: OrderedDict[tuple[str, str], int] = OrderedDict()
    for op, ns, key, value in ops:
        if op == "set":
            cache.set(ns, key, value)
            reference[(ns, key)] = value
            reference.move_to_end((ns, key))
            while len(reference) > 3:
                reference.popitem(last=False)
        elif op == "get":
            assert cache.get(ns, key) == reference.get((ns, key))
            if (ns, key) in reference:
                reference.move_to_end((ns, key))
        elif op == "delete":
            assert cache.delete(ns, key) == (reference.pop((ns, key), None) is not None)
        else:
            doomed = [k for k in reference if k[0] == ns]
            assert cache.clear(ns) == len(doomed)
            for k in doomed:
                del reference[k]
        assert cache.stats() == dict(Counter(n for n, _ in reference))
    for ns in ("a", "b"):
        assert dict(cache.scan(ns)) == {k: v for (n, k), v in reference.items() if n == ns}


@settings(max_examples=150, deadline=None)
@given(operations)
def test_memory_cache_is_an_exact_lru(ops: list[Operation]) -> None:
    check_against_a_reference_lru(MemoryCache.from_options({"max_entries": 3}), ops)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations)
def test_sqlite_cache_is_an_exact_lru(tmp_path: Path, ops: list[Operation]) -> None:
    cache = SqliteCache.from_options({"path": str(tmp_path / "lru.db"), "max_entries": 3})
    cache.clear()
    try:
        check_against_a_reference_lru(cache, ops)
    finally:
        cache.close()
