"""Heavy models load once per process: the one cache every component that loads a model uses.

Loading a whisper or sentence-transformers model costs seconds and hundreds of MB, while the loaded
model is shared safely by every component instance and thread. A plugin keeps one `ModelCache` per
kind of model, keyed by the options that change what gets loaded (path, device, compute type...):

    _models: ModelCache[tuple[str, str], WhisperModel] = ModelCache()

    def load_model(path: str, device: str) -> WhisperModel:
        return _models.get((path, device), lambda: WhisperModel(path, device=device))

A component names the models it will load in `Component.models()` (`ModelRef`s: cache, key and
loader, found without loading). A run uses that to load a model early, while the stage that needs
it still waits for its inputs, and to release it after the last stage that needs it
(`ModelUses`): a finished stage's model does not sit in memory beside the next stage's.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


_caches: weakref.WeakSet[ModelCache[Any, Any]] = weakref.WeakSet()


def model_loads() -> int:
    """Models loaded in this process so far, over every `ModelCache` (an executor reports it per
    worker process: a model should load once per worker, not once per video)."""
    return sum(cache.loads for cache in list(_caches))


class ModelCache(Generic[K, V]):
    """Thread-safe load-once values by key.

    Contract: `get(key, loader)` calls `loader` at most once per key for as long as it succeeds
    (concurrent callers of the same key wait for that one load and get the same object); a loader
    that raises stores nothing, so the next call tries again. Loads of different keys run in
    parallel. `loads` counts successful loads (tests assert a model loads once).
    """

    def __init__(self) -> None:
        self._values: dict[K, V] = {}
        self._key_locks: dict[K, threading.Lock] = {}
        self._guard = threading.Lock()
        self.loads = 0
        self.releases = 0
        _caches.add(self)

    def get(self, key: K, loader: Callable[[], V]) -> V:
        with self._guard:
            if key in self._values:
                return self._values[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._guard:
                if key in self._values:  # loaded by the caller this one waited for
                    return self._values[key]
            value = loader()
            with self._guard:
                self._values[key] = value
                self.loads += 1
            return value

    def release(self, key: K) -> bool:
        """Forget the value of `key` (the next `get` loads it again) and hand the memory it held
        back to the OS once nothing else refers to it; False when it was not loaded."""
        with self._guard:
            found = self._values.pop(key, None) is not None
            self.releases += found
        if found:
            release_freed_memory()
        return found

    def clear(self) -> None:
        """Forget every loaded value (the next `get` of each key loads again)."""
        with self._guard:
            self._values.clear()


@dataclass(frozen=True)
class ModelRef(Generic[K, V]):
    """One model a component loads: the cache it lives in, its key there, and its loader.
    Two refs are the same model when cache and key are (components sharing a model name it
    alike, so it is released only after the last of them)."""

    cache: ModelCache[K, V]
    key: K
    loader: Callable[[], V] = field(compare=False)

    def load(self) -> V:
        return self.cache.get(self.key, self.loader)

    def release(self) -> bool:
        return self.cache.release(self.key)


class ModelUses:
    """The uses of each model still to come in a run: every stage that will run adds the models
    its components name (`expect`), and each one that finished or will not run removes them
    (`done`); a model no stage still expects is released. `keep` holds models for good (what
    queries after the run need)."""

    def __init__(self) -> None:
        self._pending: Counter[ModelRef[Any, Any]] = Counter()
        self._kept: set[ModelRef[Any, Any]] = set()
        self._lock = threading.Lock()

    def keep(self, refs: Iterable[ModelRef[Any, Any]]) -> None:
        with self._lock:
            self._kept.update(refs)

    def expect(self, refs: Iterable[ModelRef[Any, Any]]) -> None:
        with self._lock:
            self._pending.update(refs)

    def done(self, refs: Iterable[ModelRef[Any, Any]]) -> list[ModelRef[Any, Any]]:
        """Count one use of each of `refs` as over; release (and return) those no stage still
        expects."""
        released = []
        with self._lock:
            for ref in refs:
                self._pending[ref] -= 1
                if self._pending[ref] <= 0:
                    del self._pending[ref]
                    if ref not in self._kept:
                        released.append(ref)
        for ref in released:
            ref.release()
        return released


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to trim
        return None


_MALLOC_TRIM = _malloc_trim()


def release_freed_memory() -> None:
    """Hand the heap freed so far back to the OS. glibc keeps freed memory for reuse otherwise,
    so a process stays as big as its biggest moment (a long transcription grew 291 -> 466 MB
    over 45 minutes; flat 230-250 MB with a trim after each window, tiny.en, beam 1)."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
