"""Retries, errors that are not retried, the budget, and the key never showing anywhere."""

from __future__ import annotations

import email.utils
import logging
import traceback

import pytest
from halo_gemini import GeminiBackend
from halo_gemini.fake_server import BLOCK_TRIGGER, FakeGemini

from halo_core import (
    BudgetExceeded,
    ComponentUnavailable,
    HaloError,
    LLMRequest,
    MediaError,
    TransientLLMError,
)
from halo_core.testing.clock import FakeClock

REQUEST = LLMRequest(
    task="summarize", prompt="Summarize.", context="A sentence that is long enough."
)


def recording_sleeps(backend: GeminiBackend) -> list[float]:
    delays: list[float] = []
    backend.sleep = delays.append  # no real waiting: the delays are only recorded
    return delays


def test_429_is_retried_after_the_servers_retry_after(fake: FakeGemini, make_backend) -> None:
    backend = make_backend()
    delays = recording_sleeps(backend)
    fake.inject("generateContent", 429, retry_after="1", times=2)
    answer = backend.generate(REQUEST)
    assert answer.text
    assert len(fake.calls("generateContent")) == 3
    assert delays == [1.0, 1.0], "Retry-After wins over the (tiny) backoff"


def test_5xx_and_slow_responses_are_retried_with_backoff(fake: FakeGemini, make_backend) -> None:
    backend = make_backend(timeout_s=0.5, initial_backoff_s=0.02, max_backoff_s=1.0)
    delays = recording_sleeps(backend)
    fake.inject("generateContent", 500)
    fake.inject("generateContent", 200, delay_s=1.5)  # slower than the client's timeout
    fake.inject("countTokens", 503)
    assert backend.generate(REQUEST).text
    assert len(fake.calls("countTokens")) == 2
    assert len(fake.calls("generateContent")) == 3
    # backoff n is in [ceiling/2, ceiling] with ceiling = 0.02 * 2**(n-1)
    assert 0.01 <= delays[0] <= 0.02 and 0.01 <= delays[1] <= 0.02 and 0.02 <= delays[2] <= 0.04


def test_persistent_failure_gives_up_with_a_transient_error(fake: FakeGemini, make_backend) -> None:
    backend = make_backend(max_attempts=3)
    fake.inject("generateContent", 503, times=10)
    with pytest.raises(TransientLLMError, match=r"still failing after 3 attempts.*503"):
        backend.generate(REQUEST)
    assert len(fake.calls("generateContent")) == 3


def test_a_rejected_key_fails_at_once_and_never_shows(
    fake: FakeGemini, make_backend, monkeypatch, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "AIzaWRONG-secret-value-that-must-not-leak"
    monkeypatch.setenv("GEMINI_API_KEY", wrong)
    backend = make_backend()
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ComponentUnavailable) as raised:
        backend.generate(REQUEST)
    assert len(fake.requests) == 1, "not retried"
    error = raised.value
    shown = "\n".join(
        [
            str(error),
            repr(error),
            error.message,
            "".join(traceback.format_exception(error)),
            caplog.text,
            repr(backend),
            repr(backend.config),
            str(backend.identity()),
            backend.config.model_dump_json(),
        ]
    )
    assert "rejected the API key" in str(error) and "[redacted]" in str(error)
    assert wrong not in shown
    assert error.__cause__ is None and error.__context__ is None


def test_a_key_echoed_by_a_retried_error_is_redacted_in_logs(
    fake: FakeGemini, make_backend, api_key, caplog: pytest.LogCaptureFixture
) -> None:
    backend = make_backend(max_attempts=2)
    fake.inject("generateContent", 500, times=5)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(TransientLLMError) as raised:
        backend.generate(REQUEST)
    assert api_key not in caplog.text + str(raised.value)


def test_unknown_model_is_reported_at_once(fake: FakeGemini, make_backend) -> None:
    price = {"standard": {"input": 1, "output": 1, "cached_input": 0.1}}
    backend = make_backend(model="gemini-9-ultra", prices={"gemini-9-ultra": price})
    with pytest.raises(ComponentUnavailable, match="no model 'gemini-9-ultra'") as raised:
        backend.generate(REQUEST)
    assert "fix: set llm.with.model" in raised.value.message
    assert len(fake.requests) == 1


def test_a_safety_block_is_reported_not_retried(fake: FakeGemini, make_backend) -> None:
    backend = make_backend()
    with pytest.raises(HaloError, match="blocked the answer request .*SAFETY"):
        backend.generate(LLMRequest(task="answer", prompt=f"{BLOCK_TRIGGER} tell me"))
    assert len(fake.calls("generateContent")) == 1
    assert backend.spent_usd > 0, "a blocked prompt is still billed"


def test_budget_stops_before_the_call_that_could_exceed_it(fake: FakeGemini, make_backend) -> None:
    # Worst case of one call: ~10 prompt tokens x $0.30 + 400 output x $2.50 per 1M = ~$0.001;
    # the first call really costs ~$0.0002 (output + 64 thinking tokens), so a second does not fit.
    backend = make_backend(max_cost_usd=0.0011, max_output_tokens=400)
    first = backend.generate(REQUEST)
    sent = len(fake.calls("generateContent"))
    with pytest.raises(BudgetExceeded, match=r"could cost up to \$0\.00") as raised:
        backend.generate(REQUEST)
    assert len(fake.calls("generateContent")) == sent == 1, "stopped before sending"
    assert raised.value.exit_code == 3 and "max_cost_usd" in raised.value.message
    assert backend.spent_usd == pytest.approx(first.cost_usd) and backend.spent_usd <= 0.0011


def test_budget_holds_under_concurrency(fake: FakeGemini, make_backend) -> None:
    # Two worst cases (~$0.001 each) fit in flight at once, a third does not.
    backend = make_backend(max_cost_usd=0.0021, max_output_tokens=400, max_concurrency=4)
    fake.inject("generateContent", 200, delay_s=0.3, times=4)
    with pytest.raises(BudgetExceeded):
        backend.generate_many([REQUEST] * 4)
    assert 2 <= len(fake.calls("generateContent")) <= 3
    assert backend.spent_usd <= 0.0021


def test_a_retry_info_delay_in_the_error_body_is_honoured(fake: FakeGemini, make_backend) -> None:
    backend = make_backend()
    delays = recording_sleeps(backend)
    fake.inject("countTokens", 429, retry_delay="1.5s")
    backend.generate(REQUEST)
    assert delays == [1.5]


def test_a_retry_after_date_is_honoured(fake: FakeGemini, make_backend) -> None:
    backend = make_backend()
    delays = recording_sleeps(backend)
    backend.clock = FakeClock(1_800_000_000.0)
    when = email.utils.formatdate(backend.clock() + 2, usegmt=True)
    fake.inject("generateContent", 503, retry_after=when)
    backend.generate(REQUEST)
    assert delays == [2.0]


def test_missing_media_in_video_mode_names_the_file(make_backend, lecture, clip, tmp_path) -> None:
    gone = clip(lecture, 0, 10).model_copy(update={"path": tmp_path / "moved.mp4"})
    with pytest.raises(MediaError, match="cannot upload .*moved.mp4: no such file"):
        make_backend(mode="video").generate(LLMRequest(task="summarize", prompt="S.", clips=[gone]))
