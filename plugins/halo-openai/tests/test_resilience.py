"""Retries (429 with Retry-After, 5xx, slow responses), the budget, clear errors for a wrong model
or an unreachable server (check(), so `halo validate` reports them), and the key never showing."""

from __future__ import annotations

import logging

import pytest
from conftest import KEY
from halo_openai import OpenAIBackend, OpenAIConfig
from halo_openai.fake_server import FakeOpenAI

from halo_core import BudgetExceeded, ComponentUnavailable, LLMRequest, TransientLLMError

REQUEST = LLMRequest(task="summarize", prompt="Summarize.", context="A sentence long enough.")


def recording_sleeps(backend: OpenAIBackend) -> list[float]:
    delays: list[float] = []
    backend.sleep = delays.append  # no real waiting: the delays are only recorded
    return delays


def test_429_waits_what_retry_after_says(fake: FakeOpenAI, make_backend) -> None:
    backend = make_backend(model="llama3.2:3b")
    delays = recording_sleeps(backend)
    fake.inject("chat", 429, retry_after="7", times=2)
    assert backend.generate(REQUEST).text
    assert len(fake.calls("chat")) == 3 and delays == [7.0, 7.0]


def test_5xx_and_slow_replies_are_retried_with_backoff(fake: FakeOpenAI, make_backend) -> None:
    backend = make_backend(model="llama3.2:3b", timeout_s=0.3, initial_backoff_s=0.02)
    delays = recording_sleeps(backend)
    fake.inject("chat", 500)
    fake.inject("chat", 200, delay_s=1.0)  # slower than the client's timeout
    assert backend.generate(REQUEST).text
    assert len(fake.calls("chat")) == 3
    assert 0.01 <= delays[0] <= 0.02 and 0.02 <= delays[1] <= 0.04


def test_a_server_that_keeps_failing_ends_in_a_transient_error(
    fake: FakeOpenAI, make_backend
) -> None:
    backend = make_backend(model="llama3.2:3b", max_attempts=3)
    recording_sleeps(backend)
    fake.inject("chat", 503, times=5)
    with pytest.raises(TransientLLMError, match="still failing after 3 attempts"):
        backend.generate(REQUEST)


def test_the_budget_stops_before_a_call_that_could_exceed_it(
    fake: FakeOpenAI, make_backend
) -> None:
    # worst case of one call: ~20 prompt tokens x $2 + 400 output x $10 per 1M = ~$0.00404
    backend = make_backend(model="gpt-6.1-sol", max_cost_usd=0.0045, max_output_tokens=400)
    first = backend.generate(REQUEST)
    with pytest.raises(BudgetExceeded) as raised:
        backend.generate(REQUEST)
    assert raised.value.exit_code == 3 and "max_cost_usd" in raised.value.where
    assert backend.spent_usd == pytest.approx(first.cost_usd) and len(fake.ledger) == 1


def test_check_names_a_model_the_server_does_not_serve(make_backend) -> None:
    problems = make_backend(model="llama9:70b").check()
    assert len(problems) == 1
    assert "has no model 'llama9:70b'" in problems[0] and "llama3.2:3b" in problems[0]
    with pytest.raises(ComponentUnavailable, match="no model 'llama9:70b'"):
        make_backend(model="llama9:70b").generate(REQUEST)


def test_check_says_when_the_server_cannot_be_reached(monkeypatch) -> None:
    with FakeOpenAI() as gone:
        url = gone.api_url
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    backend = OpenAIBackend(OpenAIConfig(base_url=url, model="llama3.2:3b"))
    (problem,) = backend.check()
    assert problem.startswith(f"cannot reach an OpenAI-compatible server at {url}")
    assert "llm.with.base_url" in problem


def test_openai_itself_needs_a_key_and_a_price(monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    problems = OpenAIBackend(OpenAIConfig(model="gpt-unknown")).check()
    assert any("no OpenAI API key: set OPENAI_API_KEY" in p for p in problems)
    assert any("no price for model 'gpt-unknown'" in p for p in problems)


def test_the_key_and_base_url_come_from_the_environment_or_the_spec(
    fake: FakeOpenAI, monkeypatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake.api_url)
    monkeypatch.setenv("MY_KEY", KEY)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    backend = OpenAIBackend(OpenAIConfig(model="llama3.2:3b", api_key="${MY_KEY}"))
    assert backend.base_url == fake.api_url and backend.check() == []
    assert backend.generate(REQUEST).text
    assert fake.calls("chat")[0].headers.get("authorization") is None, "never recorded"


def test_a_rejected_key_never_shows_in_errors_or_logs(
    fake: FakeOpenAI, monkeypatch, caplog
) -> None:
    wrong = "sk-wrong-key-that-must-not-leak-9876543210"
    monkeypatch.setenv("OPENAI_API_KEY", wrong)
    backend = OpenAIBackend(OpenAIConfig(base_url=fake.api_url, model="llama3.2:3b"))
    caplog.set_level(logging.DEBUG)
    problems = backend.check()
    with pytest.raises(ComponentUnavailable) as raised:
        backend.generate(REQUEST)
    shown = " ".join(problems) + str(raised.value) + repr(raised.value) + caplog.text
    assert "rejected the API key" in shown and wrong not in shown
    assert raised.value.__cause__ is None and raised.value.__context__ is None
    assert wrong not in repr(backend.config) and wrong not in str(backend.identity())
