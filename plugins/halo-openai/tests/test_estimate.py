"""The cost plan before spending: the estimate makes no generation call and comes within 10 % of
what the same work then costs on the fake server."""

from __future__ import annotations

from pathlib import Path

from halo_openai.fake_server import FakeOpenAI

from halo_core.testing.estimates import estimate_then_run

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "lecture" / "lecture.mp4"
QUESTIONS = ["What causes the tides?", "Which enzyme unwinds DNA?", "Who printed books?"]


def test_the_estimate_is_within_10_percent_and_calls_no_model(
    fake: FakeOpenAI, make_backend
) -> None:
    backend = make_backend(model="gpt-6.1-sol")
    compared = estimate_then_run(backend, SAMPLE, QUESTIONS, lambda: len(fake.calls("chat")))
    assert compared.calls_during_estimate == 0 and compared.estimated_calls >= 5 + 3
    assert compared.actual_usd > 0
    assert abs(compared.estimated_usd - compared.actual_usd) <= 0.10 * compared.actual_usd
