"""What the backend sends (as the fake received it) and what it reports: usage and exact cost."""

from __future__ import annotations

import pytest
from conftest import TODAY
from halo_openai.fake_server import FakeOpenAI

from halo_core import LLMRequest, price_table

REQUEST = LLMRequest(
    task="summarize",
    prompt="Summarize this part.",
    system="You write notes.",
    context="The cell copies its DNA before it divides. Helicase unwinds the double helix.",
    options={"speakers": ["S1"], "topics": ["replication"]},
)


def test_one_chat_completion_with_the_chunk_and_its_context(fake: FakeOpenAI, make_backend) -> None:
    answer = make_backend(model="llama3.2:3b").generate(REQUEST)
    body = fake.calls("chat")[0].body
    assert body["model"] == "llama3.2:3b" and body["max_tokens"] == 2048
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    user = body["messages"][1]["content"]
    assert "Speakers: S1" in user and "Topics: replication" in user
    assert user.index("Helicase") < user.index("Summarize this part.")
    assert answer.text.startswith("Title: ")


def test_cost_is_usage_times_the_price_cached_at_the_cached_rate_reasoning_once(
    fake: FakeOpenAI, make_backend
) -> None:
    backend = make_backend(model="gpt-6.1-sol")
    long = LLMRequest(task="answer", prompt="Q?", context="A sentence about cells. " * 400)
    first, second = backend.generate(long), backend.generate(long)
    served = fake.ledger
    assert served[0].cached == 0 and served[1].cached >= 1024
    price = price_table().price("gpt-6.1-sol", TODAY)
    assert price is not None
    for answer, entry in zip((first, second), served):
        assert answer.usage.input_tokens == entry.prompt
        assert answer.usage.cached_tokens == entry.cached
        assert answer.usage.thoughts_tokens == entry.reasoning > 0
        assert answer.usage.output_tokens + answer.usage.thoughts_tokens == entry.completion
        expected = (
            (entry.prompt - entry.cached) * 2.00 + entry.cached * 0.10 + entry.completion * 10.00
        ) / 1e6
        assert answer.cost_usd == pytest.approx(expected)
    assert second.cost_usd < first.cost_usd


def test_the_count_is_what_the_server_bills(fake: FakeOpenAI, make_backend) -> None:
    backend = make_backend(model="llama3.2:3b")
    counted = backend.count_tokens(REQUEST)
    answer = backend.generate(REQUEST)
    assert counted == answer.usage.input_tokens == fake.ledger[0].prompt


def test_a_local_model_costs_nothing_unless_the_spec_prices_it(make_backend) -> None:
    fake_local = make_backend(model="llama3.2:3b").generate(REQUEST)
    assert fake_local.cost_usd == 0.0 and fake_local.usage.input_tokens > 0
    priced = make_backend(
        model="llama3.2:3b",
        prices={"llama3.2:3b": {"standard": {"input": 1.0, "cached_input": 0.25, "output": 2.0}}},
    ).generate(REQUEST)
    usage = priced.usage
    expected = (
        (usage.input_tokens - usage.cached_tokens) * 1.0
        + usage.cached_tokens * 0.25
        + (usage.output_tokens + usage.thoughts_tokens) * 2.0
    ) / 1e6
    assert priced.cost_usd == pytest.approx(expected) and priced.cost_usd > 0


def test_a_server_without_usage_details_is_read_as_uncached_without_reasoning(
    fake: FakeOpenAI, make_backend
) -> None:
    fake.details = False
    answer = make_backend(model="gpt-6.1-sol").generate(REQUEST)
    assert answer.usage.cached_tokens == 0 and answer.usage.thoughts_tokens == 0
    assert answer.usage.output_tokens == fake.ledger[0].completion


def test_openai_itself_gets_max_completion_tokens_and_reasoning_effort(
    fake: FakeOpenAI, make_backend
) -> None:
    backend = make_backend(model="gpt-6.1-sol", reasoning_effort="low")
    backend.generate(REQUEST.model_copy(update={"max_output_tokens": 300}))
    body = fake.calls("chat")[0].body
    assert body["max_tokens"] == 300 and body["reasoning_effort"] == "low"


def test_the_map_phase_runs_at_most_max_concurrency_calls_at_once(
    fake: FakeOpenAI, make_backend
) -> None:
    for _ in range(8):
        fake.inject("chat", 200, delay_s=0.2)
    requests = [REQUEST.model_copy(update={"prompt": f"Part {n}."}) for n in range(8)]
    answers = make_backend(model="llama3.2:3b", max_concurrency=2).generate_many(requests)
    assert len(answers) == 8 and fake.most_in_flight == 2
