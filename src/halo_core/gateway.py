"""Every LLM call goes through the gateway: the cache tiers, the backend call, usage accounting.

The tiers themselves (L1 exact, L2 semantic, L3 summaries) are in `tiered_cache.py`; the
gateway decides when each one is consulted and counts hits and misses per tier.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from .components import CacheBackend, Embedder, LLMBackend, VectorIndex
from .errors import TransientLLMError
from .model import LLMRequest, LLMResponse, ModelUsage, TierStats
from .tiered_cache import (
    L1_NAMESPACE,
    STATS_NAMESPACE,
    TIERS,
    SemanticCache,
    SemanticQuery,
    SummaryCache,
    read_entry,
    tier_entry_counts,
)

__all__ = ["L1_NAMESPACE", "LLMGateway", "SemanticQuery", "normalize_prompt", "stable_hash"]

T = TypeVar("T")
log = logging.getLogger("halo.gateway")


def normalize_prompt(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def stable_hash(value: object) -> str:
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


@dataclass(frozen=True)
class Tally:
    """A gateway's counts, picklable: handed from a process that computed a stage to the run's."""

    usage_by_model: dict[str, ModelUsage]
    counts: dict[str, TierStats]
    fallbacks_taken: list[str]
    switched: int
    """how far along the fallback chain the gateway ended (`LLMGateway.switched`)"""


def _setting_of(request: LLMRequest) -> dict[str, Any]:
    """The request's `setting` for a cache key; nothing without one, so that the keys of
    requests without a setting are those they had before settings existed."""
    return {"setting": request.setting.model_dump(mode="json")} if request.setting else {}


class LLMGateway:
    """Wraps one backend and one cache; thread-safe, so map phases may call it concurrently.

    `context_id` names what the answer may depend on beyond the request itself (media, chunk
    set, conversation state); entries are only shared between requests with the same one.
    L2 (semantic) is consulted only for calls that pass a `semantic` query and only once an
    embedder is attached (`use_embedder`): a summarize call must never be answered by another
    chunk's summary because the prompts read alike.

    `fallbacks` are backends to switch to, in order, when the current one raises
    `TransientLLMError` (it failed after its own retries): the switch holds for the rest of this
    gateway's life (one run), is logged as a warning and listed in `fallbacks_taken`.
    """

    def __init__(
        self,
        backend: LLMBackend[Any],
        cache: CacheBackend[Any] | None = None,
        *,
        embedder: Embedder[Any] | None = None,
        index_factory: Callable[[], VectorIndex[Any]] | None = None,
        l2_threshold: float = 0.75,
        fallbacks: Sequence[LLMBackend[Any]] = (),
    ) -> None:
        self.backend = backend
        self.cache = cache
        self.fallbacks = list(fallbacks)
        self.fallbacks_taken: list[str] = []
        self.switched = 0
        """fallbacks switched to so far: `backend` is the chain's entry at this position"""
        self.usage_by_model: dict[str, ModelUsage] = {}
        self.semantic: SemanticCache | None = None
        self.summaries: SummaryCache | None = SummaryCache(cache) if cache is not None else None
        self._counts: dict[str, TierStats] = {tier: TierStats() for tier in TIERS}
        self._flushed: dict[str, TierStats] = {tier: TierStats() for tier in TIERS}
        self._lock = threading.Lock()
        if embedder is not None and index_factory is not None:
            self.use_embedder(embedder, index_factory, threshold=l2_threshold)

    def use_embedder(
        self,
        embedder: Embedder[Any],
        index_factory: Callable[[], VectorIndex[Any]],
        *,
        threshold: float = 0.75,
    ) -> None:
        """Turn on L2: questions are embedded with `embedder` and mirrored in fresh indexes."""
        if self.cache is not None:
            self.semantic = SemanticCache(self.cache, embedder, index_factory, threshold=threshold)

    @property
    def tiers(self) -> dict[str, TierStats]:
        """Hits and misses per tier in this process, with the entries the backend holds now."""
        with self._lock:
            stats = {tier: s.model_copy() for tier, s in self._counts.items()}
        if self.cache is not None:
            for tier, n in tier_entry_counts(self.cache).items():
                stats[tier].entries = n
        return stats

    def l1_key(
        self, request: LLMRequest, context_id: str, backend: LLMBackend[Any] | None = None
    ) -> str:
        backend = backend or self.backend
        return stable_hash(
            {
                "backend": backend.identity(),
                "model": request.model or backend.model,
                "prompt": normalize_prompt(request.prompt),
                "system": request.system,
                "context": hashlib.sha256(request.context.encode()).hexdigest(),
                "clips": [c.model_dump(mode="json", exclude={"path"}) for c in request.clips],
                # a planner's per-chunk setting: a reply made with other settings never serves
                **_setting_of(request),
                "params": [
                    request.task,
                    request.max_output_tokens,
                    request.temperature,
                    request.options,
                ],
                "context_id": context_id,
            }
        )

    def l2_scope(
        self, request: LLMRequest, context_id: str, backend: LLMBackend[Any] | None = None
    ) -> str:
        """Everything but the question and its retrieved context: what a semantic hit must share."""
        assert self.semantic is not None
        backend = backend or self.backend
        return stable_hash(
            {
                "backend": backend.identity(),
                "model": request.model or backend.model,
                "system": request.system,
                **_setting_of(request),
                "params": [
                    request.task,
                    request.max_output_tokens,
                    request.temperature,
                    request.options,
                ],
                "context_id": context_id,
                "embedder": self.semantic.embedder.identity(),
                "threshold": self.semantic.threshold,
                "evidence_threshold": self.semantic.evidence_threshold,
            }
        )

    def generate(
        self, request: LLMRequest, *, context_id: str = "", semantic: SemanticQuery | None = None
    ) -> LLMResponse:
        stored = self._l1_lookup(self.l1_key(request, context_id))
        if stored is not None:
            return stored
        if semantic is not None and self.semantic is not None:
            hit = self.semantic.lookup(self.l2_scope(request, context_id), semantic)
            self.count_tier("l2", hit=hit is not None)
            if hit is not None:
                response = LLMResponse.model_validate(hit.value)
                return response.model_copy(update={"cache_tier": "l2"})
        backend, response = self._on_backend(lambda b: b.generate(request))
        self._keep(backend, request, context_id, response)
        if semantic is not None and self.semantic is not None:
            scope = self.l2_scope(request, context_id, backend)
            self.semantic.store(scope, semantic, response.model_dump(mode="json"))
        return response

    def generate_many(
        self, requests: Sequence[LLMRequest], *, context_id: str = ""
    ) -> list[LLMResponse]:
        """Answers for many independent requests, in order: L1 hits from the cache, the misses
        sent together through the backend's `generate_many` (one batch, when it has a batch API)."""
        answers = [self._l1_lookup(self.l1_key(r, context_id)) for r in requests]
        missing = [n for n, answer in enumerate(answers) if answer is None]
        if missing:
            asked = [requests[n] for n in missing]
            backend, fresh = self._on_backend(lambda b: b.generate_many(asked))
            for n, response in zip(missing, fresh, strict=True):
                self._keep(backend, requests[n], context_id, response)
                answers[n] = response
        return [answer for answer in answers if answer is not None]

    def _l1_lookup(self, key: str) -> LLMResponse | None:
        if self.cache is None:
            return None
        stored = read_entry(self.cache, L1_NAMESPACE, key, LLMResponse)
        self.count_tier("l1", hit=stored is not None)
        return None if stored is None else stored.model_copy(update={"cache_tier": "l1"})

    def _keep(
        self, backend: LLMBackend[Any], request: LLMRequest, context_id: str, response: LLMResponse
    ) -> None:
        """Account a fresh response and store it in L1, keyed by the backend that gave it."""
        self._account(response)
        if self.cache is not None:
            key = self.l1_key(request, context_id, backend)
            self.cache.set(L1_NAMESPACE, key, response.model_dump(mode="json"))

    def _on_backend(self, call: Callable[[LLMBackend[Any]], T]) -> tuple[LLMBackend[Any], T]:
        """`call` on the current backend; after a TransientLLMError, on the next fallback."""
        while True:
            backend = self.backend
            try:
                return backend, call(backend)
            except TransientLLMError as exc:
                if not self._fall_back(backend, exc):
                    raise

    def _fall_back(self, failed: LLMBackend[Any], error: TransientLLMError) -> bool:
        """Switch from `failed` to the next fallback; False when there is none left."""
        with self._lock:
            if self.backend is not failed:  # another thread switched already
                return True
            if not self.fallbacks:
                return False
            self.backend = self.fallbacks.pop(0)
            self.switched += 1
            taken = (
                f"llm {failed.name!r} kept failing ({error}); "
                f"using fallback {self.backend.name!r} for the rest of the run"
            )
            self.fallbacks_taken.append(taken)
        log.warning("%s", taken)
        return True

    def count_tier(self, tier: str, *, hit: bool) -> None:
        with self._lock:
            stats = self._counts.setdefault(tier, TierStats())
            if hit:
                stats.hits += 1
            else:
                stats.misses += 1

    def flush_stats(self) -> None:
        """Add this process's hit/miss counts to the totals kept in the cache (`halo cache stats`).

        Read-modify-write: two processes flushing at the same instant may lose one's counts;
        these are statistics, not accounting.
        """
        if self.cache is None:
            return
        with self._lock:
            new = {
                tier: (
                    s.hits - self._flushed.get(tier, TierStats()).hits,
                    s.misses - self._flushed.get(tier, TierStats()).misses,
                )
                for tier, s in self._counts.items()
            }
            self._flushed = {tier: s.model_copy() for tier, s in self._counts.items()}
        for tier, (hits, misses) in new.items():
            if hits == 0 and misses == 0:
                continue
            total = read_entry(self.cache, STATS_NAMESPACE, tier, TierStats) or TierStats()
            total.hits += hits
            total.misses += misses
            self.cache.set(
                STATS_NAMESPACE, tier, total.model_dump(mode="json", exclude={"entries"})
            )

    def tally(self) -> Tally:
        """What this gateway counted: usage by model, tier hits and misses, fallbacks taken."""
        with self._lock:
            return Tally({m: u.model_copy() for m, u in self.usage_by_model.items()},
                         {t: s.model_copy() for t, s in self._counts.items()},
                         list(self.fallbacks_taken), self.switched)

    def advance_to(self, switched: int) -> None:
        """Switch along the fallback chain up to position `switched`, as another gateway of
        this run did: the switch holds for the rest of the run, wherever its stages run."""
        with self._lock:
            while self.switched < switched and self.fallbacks:
                self.backend = self.fallbacks.pop(0)
                self.switched += 1

    def add(self, tally: Tally) -> None:
        """Count another gateway's calls as this one's (a stage computed in another process)."""
        with self._lock:
            for model, usage in tally.usage_by_model.items():
                entry = self.usage_by_model.setdefault(model, ModelUsage())
                entry.requests += usage.requests
                entry.usage = entry.usage + usage.usage
                entry.cost_usd += usage.cost_usd
            for tier, stats in tally.counts.items():
                mine = self._counts.setdefault(tier, TierStats())
                mine.hits += stats.hits
                mine.misses += stats.misses
            self.fallbacks_taken += tally.fallbacks_taken
        self.advance_to(tally.switched)

    def _account(self, response: LLMResponse) -> None:
        with self._lock:
            entry = self.usage_by_model.setdefault(response.model, ModelUsage())
            entry.requests += 1
            entry.usage = entry.usage + response.usage
            entry.cost_usd += response.cost_usd
