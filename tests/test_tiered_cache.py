"""The cache tiers behave the same over every backend: memory, sqlite and a real redis-server.

L2 uses the real sentence-transformers embedder (halo-semantic, the bundled MiniLM model), as
pipelines/lecture.yaml does; the questions are the sample lecture's truth.json questions.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from halo_redis.backend import RedisCache
from halo_redis.testing import running_redis_server
from halo_semantic.embedder import SentenceTransformersEmbedder
from hypothesis import given
from hypothesis import strategies as st

from halo_core import (
    CacheBackend,
    ComponentConfig,
    LLMBackend,
    LLMRequest,
    LLMResponse,
    Summary,
    TransientLLMError,
    Usage,
)
from halo_core.builtins.caches import MemoryCache, SqliteCache
from halo_core.builtins.numpy_index import NumpyIndex
from halo_core.gateway import LLMGateway, SemanticQuery
from halo_core.testing.clock import FakeClock
from halo_core.tiered_cache import (
    L1_NAMESPACE,
    L2_PREFIX,
    SemanticCache,
    SummaryCache,
    clear_tier,
    guard_rejects,
    question_features,
    read_entry,
    tier_entry_counts,
)

REPO = Path(__file__).resolve().parents[1]
TRUTH = json.loads((REPO / "samples" / "lecture" / "truth.json").read_text())
QUESTIONS = TRUTH["questions"]


class CountingLLM(LLMBackend[ComponentConfig]):
    """Answers with the prompt's length and counts calls: what a cache hit must not reach."""

    name = "counting"

    def __init__(self, config: ComponentConfig | None = None) -> None:
        super().__init__(config)
        self.calls = 0

    @property
    def model(self) -> str:
        return "counting-1"

    def generate(self, request: LLMRequest) -> LLMResponse:
        self.calls += 1
        return LLMResponse(
            text=f"answer #{self.calls} to {request.prompt}",
            model=self.model,
            usage=Usage(input_tokens=len(request.prompt) // 4 + 1, output_tokens=5),
        )

    def count_tokens(self, request: LLMRequest) -> int:
        return len(request.prompt) // 4 + 1


# --- backends ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on 127.0.0.1 and a free port, for this module; stopped afterwards."""
    with running_redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


BACKENDS = ["memory", "sqlite", "redis"]


@pytest.fixture(params=BACKENDS)
def make_cache(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., CacheBackend]]:
    """Build caches of one backend kind; every call with the same args opens the *same* store
    (a second "process" of sqlite or redis; the same instance for memory)."""
    kind = request.param
    prefix = f"t{uuid.uuid4().hex[:10]}"
    opened: list[CacheBackend] = []
    memory: dict[int, MemoryCache] = {}

    def make(max_entries: int = 100_000, ttl: float | None = None) -> CacheBackend:
        cache: CacheBackend
        if kind == "memory":
            cache = memory.setdefault(
                max_entries, MemoryCache(MemoryCache.Config(max_entries=max_entries, ttl=ttl))
            )
        elif kind == "sqlite":
            cache = SqliteCache(
                SqliteCache.Config(
                    path=tmp_path / f"cache-{max_entries}.db", max_entries=max_entries, ttl=ttl
                )
            )
        else:
            cache = RedisCache(
                RedisCache.Config(
                    url=request.getfixturevalue("redis_url"),
                    prefix=f"{prefix}-{max_entries}",
                    max_entries=max_entries,
                    ttl=ttl,
                )
            )
        opened.append(cache)
        return cache

    make.kind = kind  # type: ignore[attr-defined]
    yield make
    for cache in opened:
        cache.clear()
        cache.close()


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformersEmbedder:
    return SentenceTransformersEmbedder()


def gateway_for(
    cache: CacheBackend, embedder: SentenceTransformersEmbedder, llm: CountingLLM | None = None
) -> LLMGateway:
    return LLMGateway(llm or CountingLLM(), cache, embedder=embedder, index_factory=NumpyIndex)


def ask(gateway: LLMGateway, question: str, context_id: str = "lecture") -> LLMResponse:
    request = LLMRequest(task="answer", prompt=question, context=f"excerpts for {question}")
    return gateway.generate(request, context_id=context_id, semantic=SemanticQuery(question))


# --- L1 ------------------------------------------------------------------------------------------


def test_l1_answers_an_exact_repeat_without_calling_the_backend(make_cache, embedder) -> None:
    llm = CountingLLM()
    gateway = gateway_for(make_cache(), embedder, llm)
    request = LLMRequest(task="summarize", prompt="Summarize this part.", context="Tides rise.")
    first = gateway.generate(request, context_id="m")
    again = gateway.generate(
        request.model_copy(update={"prompt": "Summarize  this part. "}), context_id="m"
    )
    assert (first.cache_tier, again.cache_tier, again.text, llm.calls) == (
        None,
        "l1",
        first.text,
        1,
    )
    other_media = gateway.generate(request, context_id="other")
    assert other_media.cache_tier is None and llm.calls == 2
    tiers = gateway.tiers
    assert (tiers["l1"].hits, tiers["l1"].misses, tiers["l1"].entries) == (1, 2, 2)
    assert gateway.usage_by_model["counting-1"].requests == 2


def test_summaries_never_use_l2_even_when_prompts_read_alike(make_cache, embedder) -> None:
    llm = CountingLLM()
    gateway = gateway_for(make_cache(), embedder, llm)
    for text in ("Tides rise and fall.", "Helicase unwinds DNA."):
        gateway.generate(LLMRequest(task="summarize", prompt="Summarize this part.", context=text))
    assert llm.calls == 2 and gateway.tiers["l2"].hits == 0


# --- L2 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", QUESTIONS[::3], ids=lambda q: q["answer"])  # one per topic
def test_l2_answers_a_paraphrase_and_never_a_different_question(make_cache, embedder, q) -> None:
    llm = CountingLLM()
    gateway = gateway_for(make_cache(), embedder, llm)
    answers = [ask(gateway, q["question"])]
    for paraphrase in q["paraphrases"]:
        answer = ask(gateway, paraphrase)
        # a hit is the answer to the original or to an earlier paraphrase, never anything else
        assert answer.cache_tier != "l2" or answer.text in {a.text for a in answers}
        answers.append(answer)
    assert any(a.cache_tier == "l2" for a in answers), [a.cache_tier for a in answers]
    for other in QUESTIONS:
        if other is not q:
            assert ask(gateway, other["question"]).cache_tier is None, other["question"]


def test_l2_is_scoped_by_context_identity(make_cache, embedder) -> None:
    gateway = gateway_for(make_cache(), embedder)
    q = QUESTIONS[3]  # helicase
    ask(gateway, q["question"], context_id="lecture-chunks-A")
    assert ask(gateway, q["paraphrases"][1], context_id="lecture-chunks-B").cache_tier is None
    assert ask(gateway, q["paraphrases"][1], context_id="lecture-chunks-A").cache_tier == "l2"
    # another model is another scope too
    request = LLMRequest(task="answer", prompt=q["paraphrases"][1], model="counting-2")
    assert (
        gateway.generate(
            request, context_id="lecture-chunks-A", semantic=SemanticQuery(q["paraphrases"][1])
        ).cache_tier
        is None
    )


def test_l2_needs_agreeing_evidence(make_cache, embedder) -> None:
    gateway = gateway_for(make_cache(), embedder)
    q = QUESTIONS[3]
    request = LLMRequest(task="answer", prompt=q["question"])
    gateway.generate(request, semantic=SemanticQuery(q["question"], ("chunk-2", "chunk-1")))
    para = q["paraphrases"][1]
    elsewhere = LLMRequest(task="answer", prompt=para, context="chunk-5 text")
    assert (
        gateway.generate(elsewhere, semantic=SemanticQuery(para, ("chunk-5",))).cache_tier is None
    )
    agreeing = LLMRequest(task="answer", prompt=para, context="chunk-1 and chunk-5 text")
    assert (
        gateway.generate(agreeing, semantic=SemanticQuery(para, ("chunk-1", "chunk-5"))).cache_tier
        == "l2"
    )


def test_l2_entries_are_seen_by_a_new_process(make_cache, embedder) -> None:
    q = QUESTIONS[6]  # Mainz
    ask(gateway_for(make_cache(), embedder), q["question"])
    fresh = gateway_for(
        make_cache(), embedder
    )  # a new gateway rebuilds its mirror from the backend
    assert ask(fresh, q["paraphrases"][0]).cache_tier == "l2"


def test_an_evicted_entry_is_never_returned_and_its_vector_is_dropped(make_cache, embedder) -> None:
    cache = make_cache(max_entries=4)  # L1 + L2 entries share the bound: each question writes two
    llm = CountingLLM()
    gateway = gateway_for(cache, embedder, llm)
    ask(gateway, QUESTIONS[3]["question"])
    for q in QUESTIONS[4:8]:
        ask(gateway, q["question"])
    assert sum(tier_entry_counts(cache).values()) <= 4
    semantic = gateway.semantic
    assert semantic is not None
    mirrors_before = sum(len(m.index) for m in semantic._mirrors.values())
    calls = llm.calls
    again = ask(gateway, QUESTIONS[3]["paraphrases"][1])  # its original was evicted
    assert again.cache_tier is None and llm.calls == calls + 1
    assert (
        sum(len(m.index) for m in semantic._mirrors.values()) <= mirrors_before
    )  # dropped, then the new one


def test_cleared_entries_vanish_from_a_running_gateway(make_cache, embedder) -> None:
    cache = make_cache()
    gateway = gateway_for(cache, embedder)
    q = QUESTIONS[7]
    ask(gateway, q["question"])
    assert clear_tier(make_cache(), "l2") == 1  # another process clears L2
    assert ask(gateway, q["paraphrases"][0]).cache_tier is None
    assert tier_entry_counts(cache)["l1"] == 2 and tier_entry_counts(cache)["l2"] == 1


def test_expired_entries_are_misses(make_cache, embedder) -> None:
    llm = CountingLLM()
    cache = make_cache(ttl=60.0)
    # Asked two minutes ago on the cache's clock (Redis, which keeps its own time, sees the same).
    cache.clock = clock = FakeClock(time.time() - 120)
    gateway = gateway_for(cache, embedder, llm)
    q = QUESTIONS[8]
    ask(gateway, q["question"])
    clock.advance(120)
    assert ask(gateway, q["paraphrases"][1]).cache_tier is None  # its L2 original expired
    assert llm.calls == 2


# --- corrupted entries ---------------------------------------------------------------------------


def test_a_corrupted_entry_is_a_logged_miss_and_is_removed(make_cache, embedder, caplog) -> None:
    cache = make_cache()
    llm = CountingLLM()
    gateway = gateway_for(cache, embedder, llm)
    request = LLMRequest(task="answer", prompt="Where is the Bay of Fundy?")
    key = gateway.l1_key(request, "")
    cache.set(L1_NAMESPACE, key, {"not": "a response"})
    l2 = L2_PREFIX + "scope"
    cache.set(l2, "k", ["not", "an", "entry"])
    with caplog.at_level(logging.WARNING, logger="halo.cache"):
        assert gateway.generate(request).cache_tier is None
        assert (
            SemanticCache(cache, embedder, NumpyIndex).lookup("scope", SemanticQuery("x")) is None
        )
    assert llm.calls == 1 and "corrupted cache entry" in caplog.text
    assert gateway.generate(request).cache_tier == "l1"  # the good answer replaced the bad one
    assert cache.get(l2, "k") is None


def test_undecodable_sqlite_text_is_a_miss(tmp_path: Path, embedder) -> None:
    cache = SqliteCache(SqliteCache.Config(path=tmp_path / "c.db"))
    llm = CountingLLM()
    gateway = gateway_for(cache, embedder, llm)
    request = LLMRequest(task="answer", prompt="Who made ceramic movable type?")
    gateway.generate(request)
    with sqlite3.connect(tmp_path / "c.db") as db:
        db.execute("UPDATE entries SET value = '{broken' WHERE namespace = ?", (L1_NAMESPACE,))
    assert gateway.generate(request).cache_tier is None and llm.calls == 2
    assert gateway.generate(request).cache_tier == "l1"


# --- L3 ------------------------------------------------------------------------------------------


def test_l3_keeps_summaries_while_their_source_is_unchanged(make_cache) -> None:
    store = SummaryCache(make_cache())
    summary = Summary(
        level="chunk", id="chunk-0001", start=0, end=51.5, text="Tides, spring tides."
    )
    store.put("run", summary, "sha-A", [0.1, 0.2])
    entry = SummaryCache(make_cache()).get("run", "chunk-0001", "sha-A")
    assert entry is not None and entry.summary == summary and entry.vector == [0.1, 0.2]
    assert store.get("run", "chunk-0001", "sha-B") is None  # re-chunked: stale
    assert store.get("other-run", "chunk-0001", "sha-A") is None


# --- stats ---------------------------------------------------------------------------------------


def test_flushed_stats_add_up_across_processes(make_cache, embedder) -> None:
    from halo_core.commands.cache import tier_stats

    for _ in range(2):
        gateway = gateway_for(make_cache(), embedder)
        ask(gateway, QUESTIONS[0]["question"])
        gateway.flush_stats()
        gateway.flush_stats()  # flushing twice adds nothing twice
    stats = tier_stats(make_cache())
    assert (stats["l1"].hits, stats["l1"].misses, stats["l1"].entries) == (1, 1, 1)
    assert (stats["l2"].misses, stats["l2"].entries) == (1, 1)
    assert clear_tier(make_cache()) == 2 and tier_stats(make_cache())["l1"].entries == 0


# --- guards --------------------------------------------------------------------------------------


@given(
    st.integers(0, 3000), st.integers(0, 3000), st.sampled_from([q["question"] for q in QUESTIONS])
)
def test_questions_about_different_numbers_never_match(a: int, b: int, question: str) -> None:
    first = question_features(f"{question} In {a}?")
    second = question_features(f"{question} In {b}?")
    assert (guard_rejects(first, second) is None) == (a == b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("When did Gutenberg build his press?", "Where did Gutenberg build his press?"),
        ("What did Newton discover?", "What did Einstein discover?"),
        ("Which tides are not spring tides?", "Which tides are spring tides?"),
    ],
)
def test_guards_reject_questions_that_read_alike_but_ask_something_else(a: str, b: str) -> None:
    assert guard_rejects(question_features(a), question_features(b)) is not None


@pytest.mark.parametrize("q", QUESTIONS, ids=lambda q: q["answer"])
def test_guards_let_paraphrases_through(q) -> None:
    original = question_features(q["question"])
    assert any(guard_rejects(question_features(p), original) is None for p in q["paraphrases"])


# --- eviction consistency, for any sequence of operations ---------------------------------------

_OPS = st.lists(
    st.tuples(st.sampled_from(["store", "lookup", "evict"]), st.integers(0, 11)),
    min_size=1,
    max_size=40,
)


@given(_OPS, st.integers(1, 6))
def test_l2_never_returns_an_entry_the_backend_no_longer_holds(ops, bound: int) -> None:
    from halo_core.builtins.hashing import HashingEmbedder

    cache = MemoryCache(MemoryCache.Config(max_entries=bound))  # LRU evicts past `bound`
    # threshold -1: every candidate is similar enough, so only consistency decides a hit
    semantic = SemanticCache(cache, HashingEmbedder(), NumpyIndex, threshold=-1.0)
    namespace = L2_PREFIX + "scope"
    for op, n in ops:
        query = SemanticQuery(f"question about subject {'abcdefghijkl'[n]}")
        if op == "store":
            semantic.store("scope", query, {"answer": n})
        elif op == "evict":
            held = [key for key, _ in cache.scan(namespace)]
            if held:
                cache.delete(namespace, held[n % len(held)])
        else:
            hit = semantic.lookup("scope", query)
            held_values = [v["value"] for _, v in cache.scan(namespace)]
            assert hit is None or hit.value in held_values
            # and stale vectors never hide a live entry
            assert (hit is None) == (not held_values)


# --- many requests at once, and falling back -----------------------------------------------------


class BatchingLLM(CountingLLM):
    """Answers `generate_many` as one batch and records each batch's prompts."""

    name = "batching"

    def __init__(self, config: ComponentConfig | None = None) -> None:
        super().__init__(config)
        self.batches: list[list[str]] = []

    @property
    def prefers_batch(self) -> bool:
        return True

    def generate_many(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        self.batches.append([r.prompt for r in requests])
        return [self.generate(r) for r in reversed(requests)][::-1]  # answered out of order


class FailingLLM(CountingLLM):
    """Fails every call the way a backend does once its own retries are spent."""

    name = "failing"

    def generate(self, request: LLMRequest) -> LLMResponse:
        self.calls += 1
        raise TransientLLMError("503 after 6 attempts")


def test_generate_many_sends_only_the_l1_misses_in_one_batch_in_order(make_cache) -> None:
    llm = BatchingLLM()
    gateway = LLMGateway(llm, make_cache())
    requests = [
        LLMRequest(task="summarize", prompt=f"part {n}", context=f"text {n}") for n in range(5)
    ]
    gateway.generate(requests[1], context_id="m")
    gateway.generate(requests[3], context_id="m")

    answers = gateway.generate_many(requests, context_id="m")

    assert llm.batches == [["part 0", "part 2", "part 4"]]
    assert [a.cache_tier for a in answers] == [None, "l1", None, "l1", None]
    assert [a.text.rsplit(" to ", 1)[1] for a in answers] == [r.prompt for r in requests]
    assert gateway.usage_by_model["counting-1"].requests == 5
    assert gateway.usage_by_model["counting-1"].usage.output_tokens == 25
    assert (gateway.tiers["l1"].hits, gateway.tiers["l1"].misses) == (2, 5)

    again = gateway.generate_many(requests, context_id="m")

    assert len(llm.batches) == 1 and llm.calls == 5
    assert [a.text for a in again] == [a.text for a in answers]
    assert gateway.usage_by_model["counting-1"].requests == 5


def test_the_default_generate_many_answers_each_request_in_order() -> None:
    llm = CountingLLM()
    requests = [LLMRequest(task="answer", prompt=f"q{n}") for n in range(3)]
    assert not llm.prefers_batch
    assert [a.text for a in llm.generate_many(requests)] == [
        "answer #1 to q0",
        "answer #2 to q1",
        "answer #3 to q2",
    ]


def test_a_backend_that_keeps_failing_is_replaced_by_the_fallback_for_the_rest_of_the_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failing, fallback = FailingLLM(), CountingLLM()
    cache = MemoryCache()
    gateway = LLMGateway(failing, cache, fallbacks=[fallback])
    request = LLMRequest(task="answer", prompt="What pulls the tides?")

    with caplog.at_level(logging.WARNING, logger="halo.gateway"):
        first = gateway.generate(request, context_id="m")
        many = gateway.generate_many(
            [LLMRequest(task="answer", prompt=f"q{n}") for n in range(2)], context_id="m"
        )

    assert first.text == "answer #1 to What pulls the tides?"
    assert [a.text for a in many] == ["answer #2 to q0", "answer #3 to q1"]
    assert failing.calls == 1 and gateway.backend is fallback
    [taken] = gateway.fallbacks_taken
    assert "'failing'" in taken and "'counting'" in taken and "503 after 6 attempts" in taken
    assert [r.getMessage() for r in caplog.records] == [taken]
    # the answer is kept under the backend that gave it: a working primary is asked afresh
    assert LLMGateway(FailingLLM(), cache).l1_key(request, "m") != gateway.l1_key(request, "m")
    assert read_entry(cache, L1_NAMESPACE, gateway.l1_key(request, "m"), LLMResponse) is not None

    with pytest.raises(TransientLLMError):
        LLMGateway(FailingLLM(), MemoryCache()).generate(request)
