"""The `extractive` LLM backend on the sample lecture's transcript and questions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from halo_core import HaloError, LLMRequest
from halo_core.builtins.extractive import ExtractiveLLM, context_sentences
from halo_core.plugins import get_registry
from halo_core.summarize import PROMPTS, parse_reply
from halo_core.testing.llm_contract import LLMBackendContract, MakeBackend
from halo_core.text import content_terms, split_sentences
from halo_core.tokens import estimate_tokens

TRUTH = json.loads((Path(__file__).resolve().parents[1] / "samples/lecture/truth.json").read_text())
SENTENCES = [s["text"] for s in TRUTH["sentences"]]
TRANSCRIPT = " ".join(SENTENCES)


def summarize(context: str, level: str = "chunk", **options: object) -> str:
    llm = ExtractiveLLM.from_options(options)
    return llm.generate(
        LLMRequest(
            task="summarize", prompt=PROMPTS[level], context=context, options={"level": level}
        )
    ).text


def test_summary_has_the_summarizer_shape_and_keeps_sentence_order() -> None:
    title, paragraph, points = parse_reply(summarize(TRANSCRIPT, sentences=2, key_points=3))
    assert title
    picked = split_sentences(paragraph)
    assert len(picked) == 2 and len(points) == 3
    assert all(s in SENTENCES for s in picked + points)
    assert [SENTENCES.index(s) for s in picked] == sorted(SENTENCES.index(s) for s in picked)
    assert not set(picked) & set(points)


def test_summary_is_deterministic_across_processes() -> None:
    here = summarize(TRANSCRIPT)
    code = (
        "import json,sys; from halo_core.builtins.extractive import ExtractiveLLM; "
        "from halo_core import LLMRequest; "
        "print(ExtractiveLLM().generate(LLMRequest(task='summarize', prompt='', "
        "context=sys.stdin.read())).text, end='')"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], input=TRANSCRIPT, capture_output=True, text=True, check=True
    )
    assert other.stdout == here


def test_section_level_reads_child_summaries_without_their_headings() -> None:
    topics: dict[str, list[str]] = {}
    for s in TRUTH["sentences"]:
        topics.setdefault(s["topic_id"], []).append(s["text"])
    digests = []
    for i, sentences in enumerate(topics.values()):
        title, paragraph, points = parse_reply(summarize(" ".join(sentences)))
        bullets = "".join(f"\n- {p}" for p in points)
        digests.append(f"[0{i}:00\u20130{i}:50] {title}\n{paragraph}{bullets}")
    reply = summarize("\n\n".join(digests), level="section")
    title, paragraph, points = parse_reply(reply)
    assert "[0" not in reply and title
    assert all(s in SENTENCES for s in split_sentences(paragraph) + points)
    assert context_sentences(digests[0])[0] in SENTENCES


def test_output_token_bound() -> None:
    llm = ExtractiveLLM()
    for limit in (5, 30, 120):
        response = llm.generate(
            LLMRequest(task="summarize", prompt="", context=TRANSCRIPT, max_output_tokens=limit)
        )
        assert 0 < response.usage.output_tokens <= limit


def test_answers_contain_the_truth_answer() -> None:
    llm = ExtractiveLLM()
    hits = 0
    for question in TRUTH["questions"]:
        answer = llm.generate(
            LLMRequest(task="answer", prompt=question["question"], context=TRANSCRIPT)
        )
        names = [question["answer"], *question["aliases"]]
        hits += any(n.lower() in answer.text.lower() for n in names)
    assert hits >= 0.8 * len(TRUTH["questions"])


def test_answer_from_labelled_excerpts_and_without_any_match() -> None:
    context = "[00:29\u201300:36] " + SENTENCES[4] + "\n\n[01:00\u201301:10] " + SENTENCES[10]
    llm = ExtractiveLLM()
    answer = llm.generate(
        LLMRequest(task="answer", prompt="What are spring tides?", context=context)
    )
    assert answer.text == SENTENCES[4]
    unmatched = llm.generate(LLMRequest(task="answer", prompt="Zebra xylophone?", context=context))
    assert unmatched.text and "[" not in unmatched.text
    empty = llm.generate(LLMRequest(task="answer", prompt="Anything?", context=""))
    assert empty.text == "The context does not say."


def test_usage_is_what_a_real_model_would_be_sent() -> None:
    llm = ExtractiveLLM()
    request = LLMRequest(
        task="answer", prompt="Why do tides rise?", system="Be brief.", context=TRANSCRIPT
    )
    response = llm.generate(request)
    expected = estimate_tokens("Be brief.\n\nWhy do tides rise?\n\n" + TRANSCRIPT)
    assert response.usage.input_tokens == expected == llm.count_tokens(request)
    assert response.usage.output_tokens == estimate_tokens(response.text)
    assert response.cost_usd == 0.0 and response.model == "extractive-1"
    assert llm.generate(request.model_copy(update={"model": "other"})).model == "other"


def test_unknown_task_is_a_clear_error() -> None:
    with pytest.raises(HaloError, match="cannot do task 'translate'"):
        ExtractiveLLM().generate(LLMRequest(task="translate", prompt="x", context="y"))


def test_registered_as_builtin() -> None:
    info = get_registry().get("llm", "extractive")
    assert info.cls is ExtractiveLLM and not info.cls.accepts_clips


def test_flattened_summaries_split_into_their_sentences() -> None:
    context = (
        "[00:00\u201302:28] Tides, moon: The Moon pulls the sea. "
        "Key points: Tides rise twice a day; Spring tides are large."
    )
    assert context_sentences(context) == [
        "Tides, moon: The Moon pulls the sea.",
        "Tides rise twice a day.",
        "Spring tides are large.",
    ]


def _section_digests() -> tuple[list[list[str]], str]:
    """The sample's three topics summarized as sections, and the digest a video request reads."""
    topics: dict[str, list[str]] = {}
    for s in TRUTH["sentences"]:
        topics.setdefault(s["topic_id"], []).append(s["text"])
    digests = []
    for i, sentences in enumerate(topics.values()):
        title, paragraph, points = parse_reply(summarize(" ".join(sentences), level="section"))
        bullets = "".join(f"\n- {p}" for p in points)
        digests.append(f"[0{i}:00\u20130{i}:50] {title}\n{paragraph}{bullets}")
    return list(topics.values()), "\n\n".join(digests)


def test_video_summary_is_an_overview_of_the_sections_and_distinct_key_points() -> None:
    topics, digest = _section_digests()
    titles = [line.split("] ", 1)[1] for line in digest.splitlines() if line.startswith("[0")]
    _, text, points = parse_reply(summarize(digest, level="video", key_points=3))
    assert text == f"In 3 parts: {titles[0]}, {titles[1]} and {titles[2]}."
    # one key point from each section, in the video's order
    assert [next(i for i, t in enumerate(topics) if p in t) for p in points] == [0, 1, 2]
    more = parse_reply(summarize(digest, level="video", key_points=6))[2]
    assert len(more) == 6 and len(set(more)) == 6
    bags = [set(content_terms(p)) for p in more]
    for i, a in enumerate(bags):  # no two say the same thing
        assert all(len(a & b) < 0.6 * min(len(a), len(b)) for b in bags[i + 1 :])


def test_a_single_topic_label_titles_the_summary() -> None:
    llm = ExtractiveLLM()
    request = LLMRequest(
        task="summarize", prompt="", context=TRANSCRIPT, options={"topics": ["Ocean tides"]}
    )
    assert parse_reply(llm.generate(request).text)[0] == "Ocean tides"
    two = request.model_copy(update={"options": {"topics": ["Ocean tides", "DNA"]}})
    assert parse_reply(llm.generate(two).text)[0] not in ("Ocean tides", "DNA", "")


class TestExtractiveHonoursTheLLMBackendContract(LLMBackendContract):
    @pytest.fixture
    def make_backend(self) -> MakeBackend:
        return lambda **options: ExtractiveLLM.from_options(options)


def test_a_quoted_slide_that_matches_the_question_joins_an_answer_from_speech() -> None:
    backend = ExtractiveLLM()
    context = (
        "[02:43–02:52] To see when the query plan uses an index, ask for the plan with the "
        "xplane command. Indexes make reads faster.\n\n"
        "[02:30–03:05] Slide: Database Indexes: Using indexes well; Check the plan with EXPLAIN."
    )
    request = LLMRequest(
        task="answer",
        prompt="Which command shows whether the planner uses an index?",
        context=context,
    )
    answer = backend.generate(request).text
    assert answer.startswith("To see when the query plan uses an index")
    assert "Check the plan with EXPLAIN" in answer
    # no slide, or a slide that shares nothing with the question: speech alone
    unrelated = context.replace(
        "Database Indexes: Using indexes well; Check the plan with", "Tides:"
    )
    alone = backend.generate(request.model_copy(update={"context": unrelated})).text
    assert "Slide" not in alone
