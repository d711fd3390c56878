"""ModelCache: one load per key per process, shared across threads, retried after a failure."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from halo_core import ModelCache


def test_concurrent_callers_of_one_key_share_a_single_load() -> None:
    cache: ModelCache[str, object] = ModelCache()
    started = threading.Barrier(8)
    calls = []

    def loader() -> object:
        calls.append(1)
        return object()

    def get(_: int) -> object:
        started.wait()
        return cache.get("tiny", loader)

    with ThreadPoolExecutor(8) as pool:
        models = list(pool.map(get, range(8)))
    assert len(calls) == 1 and cache.loads == 1
    assert all(model is models[0] for model in models)


def test_each_key_loads_its_own_value() -> None:
    cache: ModelCache[tuple[str, str], str] = ModelCache()
    cpu = cache.get(("tiny", "cpu"), lambda: "tiny on cpu")
    cuda = cache.get(("tiny", "cuda"), lambda: "tiny on cuda")
    assert (cpu, cuda) == ("tiny on cpu", "tiny on cuda")
    assert cache.get(("tiny", "cpu"), lambda: "reloaded") == "tiny on cpu"
    assert cache.loads == 2


def test_a_failed_load_stores_nothing_and_the_next_call_retries() -> None:
    cache: ModelCache[str, str] = ModelCache()

    def broken() -> str:
        raise OSError("weights missing")

    with pytest.raises(OSError, match="weights missing"):
        cache.get("tiny", broken)
    assert cache.get("tiny", lambda: "loaded") == "loaded"
    assert cache.loads == 1


def test_a_slow_load_does_not_block_other_keys() -> None:
    cache: ModelCache[str, str] = ModelCache()
    slow_started, other_loaded = threading.Event(), threading.Event()

    def slow() -> str:
        slow_started.set()
        # Finishes only once the other key has loaded, which it could not under one global lock.
        assert other_loaded.wait(timeout=30), "the other key's load was blocked"
        return "slow"

    with ThreadPoolExecutor(2) as pool:
        slow_result = pool.submit(cache.get, "slow", slow)
        assert slow_started.wait(timeout=30)
        assert cache.get("fast", lambda: "fast") == "fast"
        other_loaded.set()
        assert slow_result.result() == "slow"


def test_clear_makes_the_next_get_load_again() -> None:
    cache: ModelCache[str, int] = ModelCache()
    cache.get("tiny", lambda: 1)
    cache.clear()
    assert cache.get("tiny", lambda: 2) == 2
    assert cache.loads == 2
