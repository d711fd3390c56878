"""The contract every cache backend honours, as a test suite to subclass.

Override the `make_backend` fixture: it returns a factory `make(max_entries: int | None = None)`
that builds a fresh, empty backend (with that size bound when given, else a large one). Backends
built by the factory are closed after each test.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ..components import CacheBackend
from .clock import FakeClock

MakeBackend = Callable[..., CacheBackend[Any]]


class CacheBackendContract:
    @pytest.fixture
    def make_backend(self) -> MakeBackend:
        raise NotImplementedError("override the make_backend fixture in your test class")

    @pytest.fixture
    def built(self, make_backend: MakeBackend) -> Iterator[MakeBackend]:
        backends: list[CacheBackend[Any]] = []

        def make(**config: Any) -> CacheBackend[Any]:
            backend = make_backend(**config)
            backends.append(backend)
            return backend

        yield make
        for backend in backends:
            backend.close()

    @pytest.fixture
    def cache(self, built: MakeBackend) -> CacheBackend[Any]:
        return built()

    def test_get_of_a_missing_key_is_none(self, cache: CacheBackend[Any]) -> None:
        assert cache.get("ns", "missing") is None

    def test_set_then_get_round_trips_json_values(self, cache: CacheBackend[Any]) -> None:
        values = {
            "str": "text",
            "int": 42,
            "float": 2.5,
            "bool": True,
            "list": [1, "two", 3.0, None, [False]],
            "dict": {"a": {"b": [1, 2]}, "c": None},
        }
        for key, value in values.items():
            cache.set("ns", key, value)
        for key, value in values.items():
            assert cache.get("ns", key) == value

    def test_returned_values_are_copies(self, cache: CacheBackend[Any]) -> None:
        value = {"items": [1, 2]}
        cache.set("ns", "k", value)
        value["items"].append(3)
        got = cache.get("ns", "k")
        assert got == {"items": [1, 2]}
        got["items"].append(4)
        assert cache.get("ns", "k") == {"items": [1, 2]}

    def test_set_overwrites(self, cache: CacheBackend[Any]) -> None:
        cache.set("ns", "k", "old")
        cache.set("ns", "k", "new")
        assert cache.get("ns", "k") == "new"
        assert cache.stats() == {"ns": 1}

    def test_namespaces_are_separate(self, cache: CacheBackend[Any]) -> None:
        cache.set("a", "k", 1)
        cache.set("b", "k", 2)
        assert (cache.get("a", "k"), cache.get("b", "k")) == (1, 2)

    def test_delete(self, cache: CacheBackend[Any]) -> None:
        cache.set("ns", "k", 1)
        assert cache.delete("ns", "k") is True
        assert cache.get("ns", "k") is None
        assert cache.delete("ns", "k") is False

    def test_scan_lists_one_namespace(self, cache: CacheBackend[Any]) -> None:
        for i in range(5):
            cache.set("ns", f"k{i}", {"i": i})
        cache.set("other", "k0", "x")
        assert dict(cache.scan("ns")) == {f"k{i}": {"i": i} for i in range(5)}
        assert dict(cache.scan("empty")) == {}

    def test_ttl_expires_entries(self, cache: CacheBackend[Any]) -> None:
        # Entries written two minutes ago on the backend's clock: a backend whose server keeps the
        # time (Redis) sees the same past as one that reads its clock on every get.
        clock = FakeClock(time.time() - 120)
        cache.clock = clock
        cache.set("ns", "short", 1, ttl=60)
        cache.set("ns", "medium", 2, ttl=150)
        cache.set("ns", "long", 3, ttl=3600)
        cache.set("ns", "forever", 4)
        clock.advance(120)
        assert cache.get("ns", "short") is None
        assert (cache.get("ns", "medium"), cache.get("ns", "long")) == (2, 3)
        assert dict(cache.scan("ns")) == {"medium": 2, "long": 3, "forever": 4}
        assert cache.stats() == {"ns": 3}

    def test_lru_eviction_keeps_the_recently_used(self, built: MakeBackend) -> None:
        cache = built(max_entries=3)
        cache.set("ns", "a", 1)
        cache.set("ns", "b", 2)
        cache.set("other", "c", 3)
        assert cache.get("ns", "a") == 1  # now b is least recently used
        cache.set("ns", "d", 4)
        assert cache.get("ns", "b") is None
        assert (cache.get("ns", "a"), cache.get("other", "c"), cache.get("ns", "d")) == (1, 3, 4)
        assert sum(cache.stats().values()) == 3

    def test_size_bound_holds_under_many_writes(self, built: MakeBackend) -> None:
        cache = built(max_entries=10)
        for i in range(50):
            cache.set("ns", f"k{i}", i)
        assert cache.stats() == {"ns": 10}
        assert dict(cache.scan("ns")) == {f"k{i}": i for i in range(40, 50)}

    def test_stats_counts_entries_by_namespace(self, cache: CacheBackend[Any]) -> None:
        assert cache.stats() == {}
        cache.set("a", "1", 1)
        cache.set("a", "2", 2)
        cache.set("b", "1", 1)
        assert cache.stats() == {"a": 2, "b": 1}

    def test_clear_one_namespace_or_all(self, cache: CacheBackend[Any]) -> None:
        cache.set("a", "1", 1)
        cache.set("a", "2", 2)
        cache.set("b", "1", 1)
        assert cache.clear("a") == 2
        assert cache.stats() == {"b": 1}
        assert cache.clear() == 1
        assert cache.stats() == {}

    def test_unicode_keys_namespaces_and_values(self, cache: CacheBackend[Any]) -> None:
        cache.set("名前空間", "clé ✓ 🎬", {"texte": "Grüße — 東京 🌊", "ß": ["ünï"]})
        assert cache.get("名前空間", "clé ✓ 🎬") == {"texte": "Grüße — 東京 🌊", "ß": ["ünï"]}
        assert dict(cache.scan("名前空間")) == {
            "clé ✓ 🎬": {"texte": "Grüße — 東京 🌊", "ß": ["ünï"]}
        }

    @pytest.mark.parametrize(
        "value", [object(), b"bytes", {1, 2}, float("nan"), float("inf"), {"nested": [object()]}]
    )
    def test_non_json_values_are_rejected(self, cache: CacheBackend[Any], value: Any) -> None:
        with pytest.raises(TypeError):
            cache.set("ns", "k", value)
        assert cache.get("ns", "k") is None

    def test_large_values(self, cache: CacheBackend[Any]) -> None:
        big = {"text": "x" * 2_000_000, "numbers": list(range(50_000))}
        cache.set("ns", "big", big)
        assert cache.get("ns", "big") == big
