"""The cost plan before spending: the estimate makes no generation call (countTokens only) and
comes within 10 % of what the same work then costs on the fake server."""

from __future__ import annotations

from pathlib import Path

import pytest
from halo_gemini.fake_server import FakeGemini

from halo_core.testing.estimates import estimate_then_run

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "lecture" / "lecture.mp4"
QUESTIONS = ["What causes the tides?", "Which enzyme unwinds DNA?", "Who printed books?"]


@pytest.mark.parametrize(
    "options",
    [
        {"mode": "transcript"},
        {"mode": "video"},
        {"mode": "video", "media_resolution": "low", "model": "gemini-2.5-flash",
         "escalation_model": "gemini-2.5-pro"},
    ],
    ids=["transcript-3.x", "video-3.x", "video-low-2.5"],
)
def test_the_estimate_is_within_10_percent_and_calls_no_model(
    fake: FakeGemini, make_backend, options: dict
) -> None:
    backend = make_backend(
        **{"model": "gemini-3.5-flash-lite", "escalation_model": "gemini-3.8-flash",
           "escalate_levels": ["section", "video"], "context_cache": False, **options}
    )
    compared = estimate_then_run(
        backend, SAMPLE, QUESTIONS, lambda: len(fake.calls("generateContent"))
    )
    assert compared.calls_during_estimate == 0 and compared.estimated_calls >= 5 + 3
    assert compared.actual_usd > 0
    assert abs(compared.estimated_usd - compared.actual_usd) <= 0.10 * compared.actual_usd
