"""An episode: a timeline's candidate boundaries, in time order, with the evidence at each.

Between consecutive candidates lies a span of speech; each span has a token count and a unit
vector (its text embedded). Chunks are runs of spans, so everything the reward and the
observation need is computed from spans — the same way for synthetic and for real timelines.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from halo_core import (
    Timeline,
    candidates,
    content_terms,
    estimate_tokens,
    get_registry,
    join_words,
    transcript_units,
)

EVIDENCE = ("scene", "speaker", "topic", "pause")
EmbedTexts = Callable[[Sequence[str]], np.ndarray]
TFIDF_DIM = 1024
TOLERANCE = 5.0
"""Seconds a cut may be off a true boundary and still match it (as `halo rl eval` scores)."""
CLOSENESS = 0.3
"""How much of a match's gain is lost when it lands at the edge of the tolerance."""


def tfidf_vectors(texts: Sequence[str]) -> np.ndarray:
    """Unit TF-IDF vectors of `texts`, IDF fitted on `texts` themselves (hashed terms).

    Fitted per timeline, words every stretch of the talk uses weigh nothing, and the words that
    set one stretch apart weigh most: a sharper coherence signal than a general embedding gives
    cheaply, and one that needs no model.
    """
    documents = [content_terms(text) for text in texts]
    frequency: dict[str, int] = {}
    for terms in documents:
        for term in set(terms):
            frequency[term] = frequency.get(term, 0) + 1
    vectors = np.zeros((len(documents), TFIDF_DIM), dtype=np.float32)
    for row, terms in enumerate(documents):
        for term in terms:
            column = int.from_bytes(
                hashlib.blake2b(term.encode(), digest_size=8).digest(), "little"
            )
            vectors[row, column % TFIDF_DIM] += np.log((1 + len(documents)) / (1 + frequency[term]))
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


@dataclass(frozen=True)
class Episode:
    duration: float
    times: np.ndarray
    """(n,) candidate cut times, increasing."""
    evidence: np.ndarray
    """(n, 4) scene, speaker, topic, pause evidence at each candidate, in [0, 1]."""
    span_tokens: np.ndarray
    """(n + 1,) tokens of the speech between candidates (span i ends at candidate i)."""
    span_vectors: np.ndarray
    """(n + 1, d) unit vectors of the spans' text (zero for spans without speech)."""
    span_bounds: np.ndarray
    """(n + 2,) 0, the candidate times, and the duration."""
    truth: np.ndarray | None = None
    """True topic boundaries, when known: only training uses them (never the chunker)."""

    @property
    def size(self) -> int:
        return len(self.times)

    def _shifts(self, window: int) -> np.ndarray:
        """(n,) 1 - cosine (floored at 0) between the speech of the `window` spans just before
        and just after each candidate, from prefix sums of the span vectors."""
        prefix = np.concatenate(
            [np.zeros((1, self.span_vectors.shape[1])), np.cumsum(self.span_vectors, axis=0)]
        )
        index = np.arange(self.size)
        last = len(self.span_vectors)
        before = prefix[index + 1] - prefix[np.maximum(index - window + 1, 0)]
        after = prefix[np.minimum(index + 1 + window, last)] - prefix[index + 1]
        norms = np.linalg.norm(before, axis=1) * np.linalg.norm(after, axis=1)
        cosines = np.divide(
            (before * after).sum(axis=1), norms, out=np.zeros(self.size), where=norms > 0
        )
        return 1.0 - np.maximum(cosines, 0.0)

    @cached_property
    def truth_gains(self) -> np.ndarray:
        """(n,) what a cut at each candidate earns against the true boundaries: up to 1 within
        `TOLERANCE` of one (the closer the more), -1 elsewhere — the trade boundary F1 makes at
        its optimum, where a missed boundary and a false cut cost about the same."""
        if self.truth is None:
            raise ValueError("truth_gains needs an episode with its true boundaries")
        if not len(self.truth):
            return np.full(self.size, -1.0)
        distance = np.abs(self.times[:, None] - self.truth[None, :]).min(axis=1)
        return np.where(distance <= TOLERANCE, 1.0 - CLOSENESS * distance / TOLERANCE, -1.0)

    @cached_property
    def shifts(self) -> np.ndarray:
        """(n,) semantic shift over two spans each side."""
        return self._shifts(2)

    @cached_property
    def wide_shifts(self) -> np.ndarray:
        """(n,) semantic shift over five spans each side: slower, but steadier."""
        return self._shifts(5)

    @cached_property
    def pause_ranks(self) -> np.ndarray:
        """(n,) each candidate's pause as a rank among this timeline's pauses, in [0, 1]: a
        lecture's long pauses stand out whatever its speaking pace."""
        return _ranks(self.evidence[:, 3])

    @cached_property
    def shift_ranks(self) -> np.ndarray:
        """(n,) the wide semantic shift as a rank among this timeline's, in [0, 1]."""
        return _ranks(self.wide_shifts)


def _ranks(values: np.ndarray) -> np.ndarray:
    """The share of `values` below each value, ties counting half."""
    ordered = np.sort(values)
    below = np.searchsorted(ordered, values, side="left")
    not_above = np.searchsorted(ordered, values, side="right")
    return ((below + not_above) / 2 / max(len(values), 1)).astype(np.float32)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / norm if norm > 0 else 0.0


def text_embedding(name: str = "tfidf", options: dict[str, Any] | None = None) -> EmbedTexts:
    """`tfidf`, or the `embed` of a registered embedder."""
    if name == "tfidf":
        return tfidf_vectors
    return get_registry().build("embedder", name, options).embed


def episode_from_timeline(
    timeline: Timeline, embed: EmbedTexts = tfidf_vectors, truth: Sequence[float] | None = None
) -> Episode:
    found = candidates(timeline, timeline.duration)
    times = np.array([c.time for c in found], dtype=np.float64)
    evidence = np.array(
        [[c.scene, c.speaker, c.topic, c.pause] for c in found], dtype=np.float32
    ).reshape(len(found), len(EVIDENCE))
    bounds = np.concatenate([[0.0], times, [timeline.duration]])
    texts = _span_texts(timeline, bounds)
    vectors = np.zeros((len(texts), 0), dtype=np.float32)
    spoken = [i for i, text in enumerate(texts) if text]
    if spoken:
        embedded = embed([texts[i] for i in spoken])
        vectors = np.zeros((len(texts), embedded.shape[1]), dtype=np.float32)
        vectors[spoken] = embedded
    return Episode(
        duration=timeline.duration,
        times=times,
        evidence=evidence,
        span_tokens=np.array([estimate_tokens(t) for t in texts], dtype=np.float64),
        span_vectors=vectors,
        span_bounds=bounds,
        truth=None if truth is None else np.asarray(truth, dtype=np.float64),
    )


def _span_texts(timeline: Timeline, bounds: np.ndarray) -> list[str]:
    """The transcript words whose midpoint falls in each span (segments, where no words)."""
    pieces: list[list[str]] = [[] for _ in range(len(bounds) - 1)]
    for unit in transcript_units(timeline):
        span = int(np.searchsorted(bounds, unit.mid, side="right")) - 1
        pieces[min(max(span, 0), len(pieces) - 1)].append(unit.text)
    return [join_words(words) for words in pieces]
