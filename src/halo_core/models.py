"""Heavy models load once per process: the one cache every component that loads a model uses.

Loading a whisper or sentence-transformers model costs seconds and hundreds of MB, while the loaded
model is shared safely by every component instance and thread. A plugin keeps one `ModelCache` per
kind of model, keyed by the options that change what gets loaded (path, device, compute type...):

    _models: ModelCache[tuple[str, str], WhisperModel] = ModelCache()

    def load_model(path: str, device: str) -> WhisperModel:
        return _models.get((path, device), lambda: WhisperModel(path, device=device))
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
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

    def clear(self) -> None:
        """Forget every loaded value (the next `get` of each key loads again)."""
        with self._guard:
            self._values.clear()
