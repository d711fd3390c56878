"""The semantic cache's decisions on held-out lectures, and the latency of an L1 and an L2 hit
through the gateway at 10k entries, per cache backend.

Decisions (`cache_probes.py`): two generated lectures whose topics the decision was not tuned on
(made once into benchmarks/media/), each run as bench_qa.py runs a lecture (subtitles,
sentence-transformers, the numpy index, the extractive LLM). Every truth question is asked
(each after the ones before: any hit is false), then every paraphrase (a hit is right when it
returns its own question's answer, else false), then the hard negatives (wh-swaps, questions
about the answer: any hit is false).
Goal: paraphrase hit rate >= 0.5 with 0 false hits.

For memory, sqlite and redis (a redis-server started here on a free 127.0.0.1 port), the cache is
filled with 10,000 L1 entries and 10,000 L2 entries in the scope the questions are asked in
(synthetic questions with random unit vectors: the L2 search runs over all of them), then the
sample lecture's truth.json questions go through `LLMGateway.generate` once. Measured:

- L1 hit: the same request again (key hash + one backend read).
- L2 hit: a paraphrase (an L1 miss, then the vector search over 10k + reading the candidate back
  from the backend), with the paraphrase's embedding computed beforehand, so the figure is the
  cache's own cost; the embedding of one question is reported on its own line.
- the one-off cost of building a process's L2 mirror from the backend (scan of 10k entries).

Run: HALO_SHARED=/work/shared .venv/bin/python benchmarks/bench_cache.py [--entries N]
     [--repeats N] [--decisions-only] [--transcript subtitles|faster-whisper]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench_qa import make_run  # noqa: E402
from cache_probes import held_out_lectures, probes  # noqa: E402

from halo_core import CacheBackend, LLMRequest, LLMResponse, Usage  # noqa: E402
from halo_core.builtins.caches import MemoryCache, SqliteCache  # noqa: E402
from halo_core.builtins.extractive import ExtractiveLLM  # noqa: E402
from halo_core.builtins.numpy_index import NumpyIndex  # noqa: E402
from halo_core.gateway import L1_NAMESPACE, LLMGateway, SemanticQuery  # noqa: E402
from halo_core.tiered_cache import L2_PREFIX, L2Entry, question_features  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = json.loads((REPO / "samples" / "lecture" / "truth.json").read_text())["questions"]
CONTEXT_ID = "bench-lecture"


def fill(cache: CacheBackend, gateway: LLMGateway, entries: int, dim: int) -> float:
    """`entries` L1 and `entries` L2 entries (in the questions' scope); returns seconds taken."""
    rng = np.random.default_rng(0)
    response = LLMResponse(
        text="A filler answer of a typical length, with a citation. " * 3,
        model=gateway.backend.model,
        usage=Usage(input_tokens=150, output_tokens=30),
    )
    value = response.model_dump(mode="json")
    request = LLMRequest(task="answer", prompt="x", context="")
    scope = L2_PREFIX + gateway.l2_scope(request, CONTEXT_ID)
    t0 = time.perf_counter()
    for i in range(entries):
        cache.set(L1_NAMESPACE, f"filler-{i:06d}", value)
        vector = rng.normal(size=dim).astype(np.float32)
        vector /= np.linalg.norm(vector)
        question = f"Filler question number {i} about subject {i % 97}?"
        entry = L2Entry(
            question=question,
            vector=[round(float(x), 6) for x in vector],
            features=question_features(question),
            value=value,
        )
        cache.set(scope, f"filler-{i:06d}", entry.model_dump(mode="json"))
    return time.perf_counter() - t0


def percentiles(samples: list[float]) -> str:
    ms = np.asarray(samples) * 1000
    return f"p50 {np.percentile(ms, 50):7.2f} ms   p99 {np.percentile(ms, 99):7.2f} ms"


def measure(
    name: str, make: Callable[[], CacheBackend], embedder, entries: int, repeats: int
) -> None:  # type: ignore[no-untyped-def]
    cache = make()
    cache.clear()
    gateway = LLMGateway(ExtractiveLLM(), cache, embedder=embedder, index_factory=NumpyIndex)
    fill_s = fill(cache, gateway, entries, embedder.dim)
    semantic = gateway.semantic
    assert semantic is not None
    semantic.sync_interval = 3600.0  # the mirror rebuild is measured on its own, below

    def request(question: str) -> LLMRequest:
        return LLMRequest(task="answer", prompt=question, context="")

    vectors = {}
    for q in QUESTIONS:
        for text in [q["question"], *q["paraphrases"]]:
            vectors[text] = embedder.embed([text])[0]
    t0 = time.perf_counter()
    for q in QUESTIONS:
        gateway.generate(
            request(q["question"]),
            context_id=CONTEXT_ID,
            semantic=SemanticQuery(q["question"], (), vectors[q["question"]]),
        )
    first_s = time.perf_counter() - t0  # includes building the mirror of 10k L2 entries

    l1: list[float] = []
    for _ in range(repeats):
        for q in QUESTIONS:
            t = time.perf_counter()
            response = gateway.generate(request(q["question"]), context_id=CONTEXT_ID)
            l1.append(time.perf_counter() - t)
            assert response.cache_tier == "l1"
    hitting = [
        p
        for q in QUESTIONS
        for p in q["paraphrases"]
        if gateway.generate(
            request(p), context_id=CONTEXT_ID, semantic=SemanticQuery(p, (), vectors[p])
        ).cache_tier
        == "l2"
    ]
    l2: list[float] = []
    for _ in range(repeats):
        for p in hitting:
            t = time.perf_counter()
            response = gateway.generate(
                request(p), context_id=CONTEXT_ID, semantic=SemanticQuery(p, (), vectors[p])
            )
            l2.append(time.perf_counter() - t)
            assert response.cache_tier == "l2"
    semantic.forget()
    t = time.perf_counter()
    semantic.lookup(
        gateway.l2_scope(request("x"), CONTEXT_ID),
        SemanticQuery("x", (), vectors[QUESTIONS[0]["question"]]),
    )
    rebuild_s = time.perf_counter() - t
    print(
        f"{name:<7} fill {2 * entries} entries {fill_s:6.1f} s; "
        f"first {len(QUESTIONS)} questions {first_s:5.2f} s"
    )
    print(f"{'':<7} L1 hit  {percentiles(l1)}   (n={len(l1)})")
    print(f"{'':<7} L2 hit  {percentiles(l2)}   (n={len(l2)}, {len(hitting)} paraphrases hit)")
    print(f"{'':<7} L2 mirror rebuild from the backend: {rebuild_s * 1000:.0f} ms")
    cache.clear()
    cache.close()


def decisions(lecture: Path, extractor: str) -> dict[str, int]:
    """Hits and false hits of every probe of one lecture, asked through `QA.ask`."""
    from halo_core.qa import open_qa
    from halo_core.tiered_cache import clear_tier

    truth = json.loads((lecture / "truth.json").read_text())
    qa = open_qa(make_run(lecture.name, lecture, "sentence-transformers", "numpy", extractor))
    clear_tier(qa.pipeline.cache, "l1")
    clear_tier(qa.pipeline.cache, "l2")
    qa.gateway.semantic.forget()  # type: ignore[union-attr]
    counts = dict.fromkeys(["paraphrases", "hits", "false_hits", "negatives"], 0)
    answers = {}
    for n, q in enumerate(truth["questions"]):
        answer = qa.ask(q["question"])
        counts["false_hits"] += answer.cache_tier is not None
        answers[n] = answer.answer.split(" [", 1)[0]  # the reply without its citation labels
    found = probes(truth)
    for probe in sorted(found, key=lambda p: p.kind != "paraphrase"):  # paraphrases first
        answer = qa.ask(probe.text)
        hit = answer.cache_tier is not None
        if probe.kind == "paraphrase":
            counts["paraphrases"] += 1
            right = answer.answer.split(" [", 1)[0] == answers[probe.target]
            counts["hits"] += hit and right
            counts["false_hits"] += hit and not right
        else:
            counts["negatives"] += 1
            counts["false_hits"] += hit
            if hit:
                print(f"  false hit: {probe.kind} {probe.text!r}")
    qa.close()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000, help="L1 and L2 entries each")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--decisions-only", action="store_true", help="skip the latency part")
    parser.add_argument(
        "--transcript",
        choices=["subtitles", "faster-whisper"],
        default="subtitles",
        help="the decisions' transcripts: the lectures' subtitles, or recognised from speech",
    )
    args = parser.parse_args()
    total = dict.fromkeys(["paraphrases", "hits", "false_hits", "negatives"], 0)
    print(f"decisions on held-out lectures, transcript from {args.transcript}")
    for lecture in held_out_lectures():
        counts = decisions(lecture, args.transcript)
        print(
            f"{lecture.name}: paraphrase hit rate {counts['hits'] / counts['paraphrases']:.2f} "
            f"({counts['hits']}/{counts['paraphrases']}), false hits {counts['false_hits']} "
            f"(questions, paraphrases and {counts['negatives']} hard negatives)"
        )
        total = {k: total[k] + counts[k] for k in total}
    print(
        f"held-out: paraphrase hit rate {total['hits'] / total['paraphrases']:.2f} "
        f"(goal >= 0.5), false hits {total['false_hits']} (goal 0)"
    )
    if args.decisions_only:
        return
    from halo_semantic.embedder import SentenceTransformersEmbedder

    embedder = SentenceTransformersEmbedder()
    embedder.embed(["warm up"])
    times = []
    for q in QUESTIONS:
        t = time.perf_counter()
        embedder.embed([q["question"]])
        times.append(time.perf_counter() - t)
    print(
        f"bench_cache: {args.entries} L1 + {args.entries} L2 entries per backend; "
        f"embedder sentence-transformers (one question: {percentiles(times)})"
    )
    bound = 4 * args.entries
    from halo_redis.backend import RedisCache
    from halo_redis.testing import running_redis_server

    with tempfile.TemporaryDirectory() as tmp, running_redis_server(Path(tmp)) as server:
        url = server.url

        backends: dict[str, Callable[[], CacheBackend]] = {
            "memory": lambda: MemoryCache(MemoryCache.Config(max_entries=bound)),
            "sqlite": lambda: SqliteCache(
                SqliteCache.Config(path=Path(tmp) / "cache.db", max_entries=bound)
            ),
            "redis": lambda: RedisCache(
                RedisCache.Config(url=url, prefix="bench", max_entries=bound)
            ),
        }
        for name, make in backends.items():
            measure(name, make, embedder, args.entries, args.repeats)


if __name__ == "__main__":
    main()
