"""Embedder `hashing`: feature hashing of word unigrams and bigrams. No model, no download.

Each lower-cased (and lightly stemmed) word and each pair of adjacent words is hashed with
BLAKE2b (not Python's per-process salted `hash()`, so vectors are the same in every process)
into one of `dim` buckets with a sign, counted, and the vector is L2-normalized. Texts without
any word embed to the zero vector.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from pydantic import Field

from ..components import ComponentConfig, Embedder
from ..hookspecs import Register, hookimpl
from ..text import stem, tokenize


class HashingConfig(ComponentConfig):
    dim: int = Field(default=512, ge=8, le=1 << 20, description="vector length (hash buckets)")
    bigrams: bool = Field(default=True, description="also hash pairs of adjacent words")
    stemming: bool = Field(default=True, description="strip common suffixes (tides -> tide)")


@lru_cache(maxsize=1 << 16)
def _bucket(feature: str, dim: int) -> tuple[int, float]:
    digest = int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "big")
    return digest % dim, 1.0 if digest >> 63 else -1.0


class HashingEmbedder(Embedder[HashingConfig]):
    """Bag of hashed unigrams and bigrams: fast, deterministic, and good at shared words only."""

    name = "hashing"
    version = "1"
    Config = HashingConfig
    description = "feature hashing of word unigrams and bigrams (no model)"

    @property
    def dim(self) -> int:
        return self.config.dim

    def features(self, text: str) -> list[str]:
        words = tokenize(text)
        if self.config.stemming:
            words = [stem(w) for w in words]
        grams = (
            [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
            if self.config.bigrams
            else []
        )
        return words + grams

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.config.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature in self.features(text):
                bucket, sign = _bucket(feature, self.config.dim)
                vectors[row, bucket] += sign
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        np.divide(vectors, norms, out=vectors, where=norms > 0)
        return vectors


@hookimpl
def register_embedders(register: Register) -> None:
    register(HashingEmbedder)
