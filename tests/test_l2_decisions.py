"""L2's decision: when a new question is one already answered.

Properties of the similarity code (symmetry, monotonicity, an identical question always hits),
then the decisions on the sample lecture through `QA.ask` with the real sentence-transformers
embedder: its paraphrases hit their own question, its hard negatives
(tests/fixtures/l2_probes.json: wh-swaps, questions about the answer) never hit anything.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_qa import make_run

from halo_core.builtins.caches import MemoryCache
from halo_core.builtins.hashing import HashingEmbedder
from halo_core.builtins.numpy_index import NumpyIndex
from halo_core.plugins import load_plugins, pm
from halo_core.qa import open_qa
from halo_core.tiered_cache import (
    SemanticCache,
    SemanticQuery,
    asks_for,
    clear_tier,
    evidence_rejects,
    guard_rejects,
    question_features,
)

PROBES = json.loads((Path(__file__).parent / "fixtures" / "l2_probes.json").read_text())
KINDS = {"person", "time", "place", "reason", "count", "amount", "duration", "thing"}

_WORDS = st.sampled_from(
    [
        "what",
        "which",
        "who",
        "when",
        "where",
        "why",
        "how",
        "many",
        "much",
        "long",
        "is",
        "are",
        "did",
        "does",
        "the",
        "a",
        "tides",
        "city",
        "year",
        "enzyme",
        "inventor",
        "Gutenberg",
        "Mainz",
        "not",
        "1450",
        "two",
        "strands",
        "of",
        "in",
        "made",
        "called",
        "kind",
    ]
)
_QUESTIONS = st.lists(_WORDS, min_size=1, max_size=12).map(lambda w: " ".join(w) + "?")
_EVIDENCE = st.lists(st.sampled_from(["p1", "p2", "p3", "p4", "p5"]), max_size=4, unique=True)


@given(_QUESTIONS, _QUESTIONS)
def test_the_guard_is_symmetric_and_passes_a_question_itself(a: str, b: str) -> None:
    first, second = question_features(a), question_features(b)
    assert guard_rejects(first, first) is None
    assert (guard_rejects(first, second) is None) == (guard_rejects(second, first) is None)
    assert asks_for(a) <= KINDS


@given(st.floats(-1, 1), _EVIDENCE, _EVIDENCE, st.floats(0.5, 0.95), st.floats(0.5, 0.95))
def test_the_evidence_decision_is_symmetric_monotonic_and_bounded(
    score: float, a: list[str], b: list[str], threshold: float, low: float
) -> None:
    def accepts(s: float, x: list[str], y: list[str]) -> bool:
        return evidence_rejects(s, x, y, threshold, low) is None

    assert accepts(score, a, b) == accepts(score, b, a)
    if accepts(score, a, b):  # more similar questions with the same evidence: never rejected
        assert accepts(min(1.0, score + 0.2), a, b)
        assert score >= min(threshold, low)  # nothing below the lower threshold is one question
    assert accepts(1.0, a, a)


@given(_QUESTIONS, _EVIDENCE)
def test_a_question_asked_again_is_a_hit(question: str, evidence: list[str]) -> None:
    semantic = SemanticCache(MemoryCache(), HashingEmbedder(), NumpyIndex)
    semantic.store("scope", SemanticQuery(question, tuple(evidence)), {"answer": 1})
    hit = semantic.lookup("scope", SemanticQuery(question, tuple(evidence)))
    assert hit is not None and hit.value == {"answer": 1}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("What gas do plants absorb from the air?", "When do plants absorb from the air?"),
        ("Which inventor built the press?", "Where was the press built?"),
        ("How many semitones are in a perfect fifth?", "What is seven semitones?"),
    ],
)
def test_the_asked_for_slot_tells_questions_apart(a: str, b: str) -> None:
    assert guard_rejects(question_features(a), question_features(b)) is not None


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Which German city is associated with Gutenberg?", "Where did Gutenberg work?"),
        ("Which two researchers solved key agreement?", "Who published key agreement?"),
        ("For how many years does the Sun shine?", "How long does the Sun shine?"),
    ],
)
def test_the_same_slot_asked_in_other_words_passes(a: str, b: str) -> None:
    assert guard_rejects(question_features(a), question_features(b)) is None


@pytest.fixture(scope="module")
def semantic_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("l2")
    return make_run(folder, embedder="sentence-transformers", plugins="halo-semantic")


@pytest.fixture
def semantic_plugin(register_plugin: Callable[..., str]) -> None:
    """halo-semantic registered in this process too (the core session loads no plugin)."""
    import halo_semantic.plugin

    load_plugins()  # the session's own plugins: in the all-plugins session, halo-semantic
    if not pm.is_registered(halo_semantic.plugin):
        register_plugin(halo_semantic.plugin)


@pytest.mark.usefixtures("semantic_plugin")
def test_paraphrases_hit_their_question_and_hard_negatives_nothing(semantic_run: Path) -> None:
    qa = open_qa(semantic_run)
    # the run asked lecture.questions.yaml's questions: start from an empty L1 and L2
    clear_tier(qa.pipeline.cache, "l1")
    clear_tier(qa.pipeline.cache, "l2")
    qa.gateway.semantic.forget()  # type: ignore[union-attr]
    try:
        answers = []
        for question in PROBES["questions"]:
            answer = qa.ask(question)
            assert answer.cache_tier is None, question  # a different question: never a hit
            answers.append(answer.answer.split(" [", 1)[0])
        hits = 0
        for text, target in PROBES["paraphrases"]:
            answer = qa.ask(text)
            if answer.cache_tier is not None:
                assert answer.cache_tier == "l2"
                assert answer.answer.split(" [", 1)[0] == answers[target], text
                hits += 1
        assert hits >= len(PROBES["paraphrases"]) / 2
        for text, kind in PROBES["hard_negatives"]:
            assert qa.ask(text).cache_tier is None, f"{kind}: {text}"
    finally:
        qa.close()
