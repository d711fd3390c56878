"""The cache tiers above one `CacheBackend`: L1 exact, L2 semantic, L3 summaries.

All three tiers live in the same backend (memory, sqlite, redis), in their own namespaces, so
they share its size bound, LRU order and TTL, and behave the same whichever backend holds them:

- L1 `llm-l1`: one entry per exact request key (the gateway computes the key), and
  `llm-l1-answers`: one per exact question about a run (Q&A computes that key from the question,
  the conversation and the run's identities, without an embedding, so a repeated question is
  answered before any model loads).
- L2 `llm-l2:<scope>`: one entry per answered question, holding the question, its embedding and
  the response. `scope` hashes the context identity (media, chunk set, model, conversation
  state, embedder), so a lookup only ever sees questions asked about the very same thing.
- L3 `llm-l3:<scope>`: chunk / section / video summaries with the embedding of their text,
  reused as compressed context for later questions.

The L2 vector index is a per-process mirror of the backend, never the source of truth: a
candidate is returned only after its entry was read back from the backend, and a vector whose
entry is gone (evicted by LRU, expired, cleared by another process) is dropped on sight. The
mirror is rebuilt from a scan of the scope's namespace when first used and every
`sync_interval` seconds, which is how entries written by other processes become visible.

A value that cannot be decoded or does not have the expected shape is a corrupted entry: it is
logged, deleted, and treated as a miss, never a crash.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from pydantic import BaseModel, ValidationError

from .components import CacheBackend, Embedder, VectorIndex
from .model import JSONValue, Summary
from .text import NUMBER_ONES, NUMBER_TENS

L1_NAMESPACE = "llm-l1"
L1_ANSWERS_NAMESPACE = "llm-l1-answers"
L2_PREFIX = "llm-l2:"
L3_PREFIX = "llm-l3:"
STATS_NAMESPACE = "halo-cache-stats"
TIERS = ("l1", "l2", "l3")
RECENT_EMBEDDINGS = 256

log = logging.getLogger("halo.cache")

M = TypeVar("M", bound=BaseModel)


def tier_of_namespace(namespace: str) -> str | None:
    if namespace in (L1_NAMESPACE, L1_ANSWERS_NAMESPACE):
        return "l1"
    if namespace.startswith(L2_PREFIX):
        return "l2"
    if namespace.startswith(L3_PREFIX):
        return "l3"
    return None


def tier_entry_counts(cache: CacheBackend[Any]) -> dict[str, int]:
    counts = dict.fromkeys(TIERS, 0)
    for namespace, n in cache.stats().items():
        tier = tier_of_namespace(namespace)
        if tier is not None:
            counts[tier] += n
    return counts


def clear_tier(cache: CacheBackend[Any], tier: str | None = None) -> int:
    """Delete every entry of one tier (every tier when None); return how many."""
    removed = 0
    for namespace in list(cache.stats()):
        found = tier_of_namespace(namespace)
        if found is not None and (tier is None or found == tier):
            removed += cache.clear(namespace)
    return removed


def read_entry(cache: CacheBackend[Any], namespace: str, key: str, model: type[M]) -> M | None:
    """The entry at (namespace, key) as `model`; a corrupted one is logged, deleted and a miss."""
    try:
        value = cache.get(namespace, key)
        if value is None:
            return None
        return model.model_validate(value)
    except (ValueError, TypeError, ValidationError) as exc:  # JSONDecodeError is a ValueError
        log.warning(
            "corrupted cache entry %s/%s removed (%s)",
            namespace,
            key[:16],
            str(exc).splitlines()[0],
        )
        cache.delete(namespace, key)
        return None


# --- L2 -----------------------------------------------------------------------------------------

_NUMBER_WORDS = [
    *NUMBER_ONES,
    *NUMBER_TENS[2:],
    *[
        "hundred",
        "thousand",
        "million",
        "billion",
        "trillion",
        "first",
        "second",
        "third",
        "half",
        "quarter",
    ],
]
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?|\b(?:" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
# Question words that ask for different kinds of answer; bare `what` / `which` are neutral.
_ASKS_FOR = {
    "who": "person",
    "whom": "person",
    "when": "time",
    "where": "place",
    "why": "reason",
    "how many": "count",
    "how much": "amount",
    "how long": "duration",
}
_ASKS_FOR_PATTERN = re.compile(
    r"\b(how many|how much|how long|who|whom|when|where|why)\b", re.IGNORECASE
)
# `what` / `which` before a noun phrase asks for that noun: a person, time or place when the
# noun says so ("which inventor", "in what year", "which city"), else a thing ("what gas"), which
# "when" or "why" never asks for. Up to three words are read (skipping "kind of" and the like).
_NOUN_KINDS = {
    "person": "person people inventor inventors scientist scientists researcher researchers "
    "author authors artist artists painter composer engineer mathematician physicist chemist "
    "king queen emperor ruler leader founder president philosopher writer poet man woman",
    "time": "year years century centuries decade decades day days date time times month months "
    "period era age moment season hour hours",
    "place": "city cities country countries place places town region regions bay continent "
    "location part parts area state island river sea ocean planet point",
    "reason": "reason reasons cause causes purpose",
}
_NUMERIC_KINDS = {"count", "amount", "duration", "time"}
_NOUN_KIND = {noun: kind for kind, nouns in _NOUN_KINDS.items() for noun in nouns.split()}
_HOW_MANY_TIME = re.compile(
    r"\bhow many (?:" + _NOUN_KINDS["time"].replace(" ", "|") + r")\b", re.I
)
_WHAT_NOUN = re.compile(
    r"\b(?:what|which)\s+(?:(?:kind|kinds|type|types|sort|sorts) of\s+)?"
    r"((?:[\w'-]+\s+){0,2}[\w'-]+)",
    re.IGNORECASE,
)
_FUNCTION_WORDS = (
    "is are was were do does did will would can could should shall may might must has have had "
    "the a an this that these those it its of in on at to by for from with about as if"
)
_NOT_A_NOUN = frozenset(_FUNCTION_WORDS.split())
_NEGATION = re.compile(r"\b(?:not|no|never|without|n't)\b|n't\b", re.IGNORECASE)
_NAME = re.compile(r"\b[A-Z][a-zA-Z'-]+")
_LEADING_FUNCTION_WORDS = {
    "what",
    "which",
    "who",
    "whom",
    "when",
    "where",
    "why",
    "how",
    "is",
    "are",
    "was",
    "were",
    "do",
    "does",
    "did",
    "can",
    "could",
    "name",
    "in",
    "on",
    "at",
    "the",
    "a",
    "an",
    "and",
    "i",
    "during",
    "for",
}


def normalize_question(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def question_features(text: str) -> dict[str, Any]:
    """What a semantic hit must agree on exactly: numbers, names, question type, negation."""
    words = text.split()
    names = {
        re.sub(r"'s$", "", m.group(0).lower())
        for m in _NAME.finditer(text)
        # A capitalised first word is just the start of the sentence, unless it is a name.
        if not (m.start() == 0 and words and m.group(0).lower() in _LEADING_FUNCTION_WORDS)
        and m.group(0).lower() not in _LEADING_FUNCTION_WORDS
    }
    return {
        "numbers": sorted({m.group(0).lower().replace(",", "") for m in _NUMBER.finditer(text)}),
        "names": sorted(names),
        "asks_for": sorted(asks_for(text)),
        "negated": bool(_NEGATION.search(text)),
    }


def asks_for(text: str) -> set[str]:
    """The kinds of answer a question asks for: person, time, place, reason, count, amount,
    duration, thing; empty when its question word says nothing ("what is", "how")."""
    kinds = {_ASKS_FOR[m.group(1).lower()] for m in _ASKS_FOR_PATTERN.finditer(text)}
    if _HOW_MANY_TIME.search(text):  # "how many years" asks how long
        kinds = (kinds - {"count"}) | {"duration"}
    for m in _WHAT_NOUN.finditer(text):
        words = m.group(1).lower().split()
        if words[0] in _NOT_A_NOUN:
            continue
        kinds.add(next((_NOUN_KIND[w] for w in words if w in _NOUN_KIND), "thing"))
    return kinds


def guard_rejects(new: dict[str, Any], cached: dict[str, Any]) -> str | None:
    """Why a semantically close cached question may still ask something else, or None."""
    # One-sided numbers are often incidental ("the two strands"); two different ones never are.
    if new["numbers"] and cached["numbers"] and new["numbers"] != cached["numbers"]:
        return "different numbers"
    for one, other in ((new, cached), (cached, new)):
        # "What is seven semitones?" states what "How many semitones …?" asks for.
        if one["numbers"] and not other["numbers"] and set(other["asks_for"]) & _NUMERIC_KINDS:
            return "one states the number the other asks for"
    if new["negated"] != cached["negated"]:
        return "negation differs"
    if (
        new["asks_for"]
        and cached["asks_for"]
        and not set(new["asks_for"]) & set(cached["asks_for"])
    ):
        return "asks for a different kind of answer"
    # "Why is helicase important?" is not "What is helicase?": a reason is asked for explicitly.
    if ("reason" in new["asks_for"]) != ("reason" in cached["asks_for"]):
        return "asks why on one side only"
    a, b = set(new["names"]), set(cached["names"])
    if a and b and not (a <= b or b <= a):
        return "different names"
    return None


def evidence_rejects(
    score: float,
    new: Sequence[str],
    cached: Sequence[str],
    threshold: float,
    evidence_threshold: float,
) -> str | None:
    """Why two questions whose embeddings have cosine `score` are not one question by their
    similarity and evidence (the ids retrieval found for each, best first), or None.

    At `threshold` and above, the questions read alike: only evidence that disagrees (neither's
    best among the other's top three) separates them. From `evidence_threshold` up to it, they
    are one question only when both were answered from the same best passage. Below, never.
    """
    if score < min(threshold, evidence_threshold):
        return "not similar enough"
    if score >= threshold:
        if new and cached and new[0] not in cached[:3] and cached[0] not in new[:3]:
            return "answered from different evidence"
        return None
    if not (new and cached):
        return "not similar enough, and no evidence to compare"
    if new[0] != cached[0]:
        return "not similar enough, and a different best passage"
    return None


@dataclass(frozen=True)
class SemanticQuery:
    """A question for L2: its text, and the ids of the evidence retrieval found for it (the
    passages it is answered from, best first).

    When both the new and the cached question carry evidence, a hit also needs their top
    evidence to agree: two questions that read alike but are answered by different parts of
    the video are different questions; and two that read less alike (a paraphrase in other
    words) are one when they are answered from the same best passage (`evidence_rejects`).
    """

    text: str
    evidence: tuple[str, ...] = ()
    vector: np.ndarray | None = field(default=None, compare=False)
    """the text's embedding by the cache's embedder, when the caller has it already"""


class L2Entry(BaseModel):
    question: str
    vector: list[float]
    features: dict[str, Any]
    evidence: list[str] = []
    value: JSONValue


@dataclass
class _Mirror:
    index: VectorIndex[Any]
    synced_at: float


@dataclass
class L2Hit:
    value: JSONValue
    question: str
    score: float


@dataclass
class SemanticCache:
    """L2: questions answered before in the same scope, found by embedding similarity."""

    cache: CacheBackend[Any]
    embedder: Embedder[Any]
    index_factory: Callable[[], VectorIndex[Any]]
    threshold: float = 0.75
    evidence_threshold: float = 0.7
    """the cosine above which the same best passage makes two questions one (`evidence_rejects`)"""
    sync_interval: float = 30.0
    candidates: int = 5
    _mirrors: dict[str, _Mirror] = field(default_factory=dict)
    _recent: dict[str, np.ndarray] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def lookup(self, scope: str, query: SemanticQuery) -> L2Hit | None:
        namespace = L2_PREFIX + scope
        vector = self._embed(query)
        features = question_features(query.text)
        while True:
            with self._lock:
                mirror = self._mirror(namespace)
                if len(mirror.index) == 0:
                    return None
                found = mirror.index.search(vector[None, :], self.candidates)[0]
            dropped = False
            for key, score in found:
                if score < min(self.threshold, self.evidence_threshold):
                    break
                entry = read_entry(self.cache, namespace, key, L2Entry)
                if entry is None:  # evicted, expired, cleared or corrupted: never answer from it
                    with self._lock:
                        mirror.index.remove([key])
                    dropped = True
                    continue
                reason = guard_rejects(features, entry.features) or evidence_rejects(
                    score, query.evidence, entry.evidence, self.threshold, self.evidence_threshold
                )
                if reason is not None:
                    log.debug("L2 candidate %r (%.3f) rejected: %s", entry.question, score, reason)
                    continue
                return L2Hit(entry.value, entry.question, float(score))
            if not dropped:  # else search again: stale vectors may have hidden live ones
                return None

    def store(self, scope: str, query: SemanticQuery, value: JSONValue) -> None:
        namespace = L2_PREFIX + scope
        vector = self._embed(query)
        key = hashlib.sha256(normalize_question(query.text).encode()).hexdigest()
        entry = L2Entry(
            question=query.text,
            vector=[round(float(x), 6) for x in vector],
            features=question_features(query.text),
            evidence=list(query.evidence),
            value=value,
        )
        self.cache.set(namespace, key, entry.model_dump(mode="json"))
        with self._lock:
            self._mirror(namespace).index.add([key], vector[None, :])

    def forget(self) -> None:
        """Drop every mirror (after a clear), so the next lookup rebuilds from the backend."""
        with self._lock:
            self._mirrors.clear()

    def _embed(self, query: SemanticQuery) -> np.ndarray:
        if query.vector is not None:
            return np.asarray(query.vector, dtype=np.float32).reshape(-1)
        text = normalize_question(query.text)
        with self._lock:  # a miss embeds for the lookup and again for the store: once is enough
            if text in self._recent:
                return self._recent[text]
        vector = np.asarray(self.embedder.embed([text])[0], dtype=np.float32)
        with self._lock:
            self._recent[text] = vector
            while len(self._recent) > RECENT_EMBEDDINGS:
                self._recent.pop(next(iter(self._recent)))
        return vector

    def _mirror(self, namespace: str) -> _Mirror:
        mirror = self._mirrors.get(namespace)
        now = time.monotonic()
        if mirror is None or now - mirror.synced_at > self.sync_interval:
            mirror = _Mirror(self._rebuild(namespace), now)
            self._mirrors[namespace] = mirror
        return mirror

    def _rebuild(self, namespace: str) -> VectorIndex[Any]:
        index = self.index_factory()
        keys: list[str] = []
        vectors: list[list[float]] = []
        for key, value in self.cache.scan(namespace):
            try:
                vector = L2Entry.model_validate(value).vector
            except ValidationError:
                log.warning("corrupted cache entry %s/%s removed", namespace, key[:16])
                self.cache.delete(namespace, key)
                continue
            keys.append(key)
            vectors.append(vector)
        if keys:
            index.add(keys, np.asarray(vectors, dtype=np.float32))
        return index


# --- L3 -----------------------------------------------------------------------------------------


class L3Entry(BaseModel):
    summary: Summary
    source_sha256: str
    vector: list[float] | None = None


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class SummaryCache:
    """L3: summaries of chunks and sections, kept per scope with the hash of their source text.

    A stored summary is only reused while its source text is unchanged (`source_sha256`), so a
    re-chunked video never gets the old summaries back.
    """

    cache: CacheBackend[Any]

    def get(self, scope: str, summary_id: str, source_sha256: str) -> L3Entry | None:
        entry = read_entry(self.cache, L3_PREFIX + scope, summary_id, L3Entry)
        if entry is None or entry.source_sha256 != source_sha256:
            return None
        return entry

    def put(
        self,
        scope: str,
        summary: Summary,
        source_sha256: str,
        vector: Sequence[float] | None = None,
    ) -> None:
        entry = L3Entry(
            summary=summary,
            source_sha256=source_sha256,
            vector=[round(float(x), 6) for x in vector] if vector is not None else None,
        )
        self.cache.set(L3_PREFIX + scope, summary.id, entry.model_dump(mode="json"))
