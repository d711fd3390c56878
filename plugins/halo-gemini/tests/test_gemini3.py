"""The current families: Gemini 3 token accounting (70 tokens per frame, per-part media
resolution), thinking levels, the cost defaults, honest counts, prices by the day of the call."""

from __future__ import annotations

import math
from datetime import date

import pytest
from halo_gemini.fake_server import FakeGemini

from halo_core import LLMRequest, TokenCounts, cost_usd, price_table

CURRENT = {"model": "gemini-3.5-flash-lite", "escalation_model": "gemini-3.8-flash"}


def parts_of(body: dict) -> list[dict]:
    return [p for c in body["contents"] for p in c["parts"]]


def test_the_defaults_send_the_map_phase_to_the_light_model_and_summaries_up(
    fake: FakeGemini, make_backend
) -> None:
    from halo_gemini import GeminiConfig

    defaults = GeminiConfig()
    assert (defaults.model, defaults.escalation_model) == tuple(CURRENT.values())
    backend = make_backend(**CURRENT, escalate_levels=defaults.escalate_levels)
    for level in ("chunk", "section", "video"):
        backend.generate(
            LLMRequest(
                task="summarize",
                prompt="Summarize.",
                context="A thought, said twice.",
                options={"level": level},
            )
        )
    models = [e.model for e in fake.ledger]
    assert models == ["gemini-3.5-flash-lite", "gemini-3.8-flash", "gemini-3.8-flash"]
    calls = fake.calls("generateContent")
    thinking = [c.body["generationConfig"]["thinkingConfig"] for c in calls]
    # the SDK sends this nested field in snake_case; the API documents camelCase
    assert all(t.get("thinkingLevel", t.get("thinking_level")) == "LOW" for t in thinking)
    assert not any("thinkingBudget" in t or "thinking_budget" in t for t in thinking)


@pytest.mark.parametrize("resolution", ["default", "low"])
def test_gemini_3_video_is_70_tokens_a_frame_and_the_count_is_what_is_billed(
    fake: FakeGemini, make_backend, lecture, clip, resolution: str
) -> None:
    backend = make_backend(**CURRENT, mode="video", fps=1.0, media_resolution=resolution)
    request = LLMRequest(task="answer", prompt="What is shown?", clips=[clip(lecture, 10, 40)])
    counted = backend.count_tokens(request)
    answer = backend.generate(request)
    served = fake.ledger[-1]
    assert served.video == 30 * 70 and served.audio == 30 * 32
    assert counted == answer.usage.input_tokens == served.prompt
    sent = fake.calls("generateContent")[-1].body
    video = next(p for p in parts_of(sent) if "fileData" in p)
    if resolution == "low":  # per part on Gemini 3, never request-wide
        assert video["mediaResolution"] == {"level": "MEDIA_RESOLUTION_LOW"}
    assert "mediaResolution" not in sent["generationConfig"]


def test_a_low_resolution_count_on_2_5_is_what_is_billed_not_the_default_rate(
    fake: FakeGemini, make_backend, lecture, clip
) -> None:
    # countTokens takes no generation config: the fake (like the API) counts 258 a frame
    backend = make_backend(mode="video", fps=1.0, media_resolution="low")
    request = LLMRequest(task="answer", prompt="", clips=[clip(lecture, 10, 40)])
    counted = backend.count_tokens(request)
    answer = backend.generate(request)
    assert fake.ledger[-1].video == 30 * 66
    assert counted == answer.usage.input_tokens
    text = math.ceil(len("Time span: [00:10\u201300:40]") / 4)
    assert counted == 30 * 66 + 30 * 32 + text


def test_the_day_of_the_call_picks_the_price(fake: FakeGemini, make_backend) -> None:
    request = LLMRequest(task="answer", prompt="Why?", context="Because it was announced.")
    costs = []
    for day in (date(2026, 11, 30), date(2026, 12, 1)):
        backend = make_backend(model="gemini-4-argon", escalation_model="gemini-4-argon")
        backend.today = lambda day=day: day
        answer = backend.generate(request)
        served = fake.ledger[-1]
        price = price_table().price("gemini-4-argon", day)
        assert price is not None
        counts = TokenCounts(
            prompt=served.prompt, output=served.candidates, thoughts=served.thoughts
        )
        assert answer.cost_usd == pytest.approx(cost_usd(price, counts))
        costs.append(answer.cost_usd)
    assert costs[1] == pytest.approx(2 * costs[0])


def test_spec_prices_replace_the_published_ones(fake: FakeGemini, make_backend) -> None:
    prices = {"gemini-3.8-flash": {"standard": {"input": 1.0, "cached_input": 0.25, "output": 2.0}}}
    backend = make_backend(**CURRENT, prices=prices)
    answer = backend.generate(
        LLMRequest(task="summarize", prompt="Sum up.", context="x y z.", options={"level": "video"})
    )
    served = fake.ledger[-1]
    assert served.model == "gemini-3.8-flash"
    expected = (served.prompt * 1.0 + (served.candidates + served.thoughts) * 2.0) / 1e6
    assert answer.cost_usd == pytest.approx(expected)
