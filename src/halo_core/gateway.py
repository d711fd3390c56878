"""Every LLM call goes through the gateway: cache lookup, the backend call, usage accounting."""

from __future__ import annotations

import hashlib
import json
import re
import threading

from .components import CacheBackend, LLMBackend
from .model import LLMRequest, LLMResponse, ModelUsage, TierStats

L1_NAMESPACE = "llm-l1"


def normalize_prompt(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def stable_hash(value: object) -> str:
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


class LLMGateway:
    """Wraps one backend and one cache; thread-safe, so map phases may call it concurrently.

    `context_id` names what the answer may depend on beyond the request itself (media, chunk
    set, conversation state); entries are only shared between requests with the same one.
    """

    def __init__(self, backend: LLMBackend, cache: CacheBackend | None = None) -> None:
        self.backend = backend
        self.cache = cache
        self.usage_by_model: dict[str, ModelUsage] = {}
        self.tiers: dict[str, TierStats] = {"l1": TierStats()}
        self._lock = threading.Lock()

    def l1_key(self, request: LLMRequest, context_id: str) -> str:
        return stable_hash(
            {
                "backend": self.backend.identity(),
                "model": request.model or self.backend.model,
                "prompt": normalize_prompt(request.prompt),
                "system": request.system,
                "context": hashlib.sha256(request.context.encode()).hexdigest(),
                "clips": [c.model_dump(mode="json", exclude={"path"}) for c in request.clips],
                "params": [request.task, request.max_output_tokens, request.temperature,
                           request.options],
                "context_id": context_id,
            }
        )

    def generate(self, request: LLMRequest, *, context_id: str = "") -> LLMResponse:
        key = self.l1_key(request, context_id)
        if self.cache is not None:
            stored = self.cache.get(L1_NAMESPACE, key)
            if stored is not None:
                hit = LLMResponse.model_validate(stored).model_copy(update={"cache_tier": "l1"})
                self._count_tier("l1", hit=True)
                return hit
            self._count_tier("l1", hit=False)
        response = self.backend.generate(request)
        self._account(response)
        if self.cache is not None:
            self.cache.set(L1_NAMESPACE, key, response.model_dump(mode="json"))
        return response

    def _count_tier(self, tier: str, *, hit: bool) -> None:
        with self._lock:
            stats = self.tiers.setdefault(tier, TierStats())
            if hit:
                stats.hits += 1
            else:
                stats.misses += 1

    def _account(self, response: LLMResponse) -> None:
        with self._lock:
            entry = self.usage_by_model.setdefault(response.model, ModelUsage())
            entry.requests += 1
            entry.usage = entry.usage + response.usage
            entry.cost_usd += response.cost_usd
