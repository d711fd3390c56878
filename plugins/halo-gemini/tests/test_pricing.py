"""Cost arithmetic: the issue's formula, tiers, audio rates, batch discount, price lookup."""

from __future__ import annotations

import pytest
from halo_gemini.pricing import (
    DEFAULT_PRICES,
    ModelPrice,
    TokenCounts,
    cost_usd,
    price_for,
    worst_case_cost_usd,
)
from hypothesis import given
from hypothesis import strategies as st

FLASH = DEFAULT_PRICES["gemini-2.5-flash"]
PRO = DEFAULT_PRICES["gemini-2.5-pro"]


def test_the_formula_on_known_numbers() -> None:
    counts = TokenCounts(prompt=10_000, candidates=500, cached=4_000, thoughts=300)
    # (10000 - 4000) x 1.25 + 4000 x 0.125 + (500 + 300) x 10, per 1M tokens
    assert cost_usd(PRO, counts) == pytest.approx((6000 * 1.25 + 4000 * 0.125 + 800 * 10) / 1e6)
    assert cost_usd(PRO, counts, batch=True) == pytest.approx(cost_usd(PRO, counts) / 2)


def test_long_prompts_use_the_higher_tier() -> None:
    at_limit = TokenCounts(prompt=200_000, candidates=1000)
    above = TokenCounts(prompt=200_001, candidates=1000)
    assert cost_usd(PRO, at_limit) == pytest.approx((200_000 * 1.25 + 1000 * 10) / 1e6)
    assert cost_usd(PRO, above) == pytest.approx((200_001 * 2.50 + 1000 * 15) / 1e6)


def test_audio_tokens_use_the_audio_rates() -> None:
    counts = TokenCounts(prompt=1000, cached=400, audio_prompt=300, audio_cached=100)
    # fresh: 400 other + 200 audio; cached: 300 other + 100 audio
    expected = (400 * 0.30 + 200 * 1.00 + 300 * 0.03 + 100 * 0.10) / 1e6
    assert cost_usd(FLASH, counts) == pytest.approx(expected)


def test_versioned_model_names_find_their_family_price() -> None:
    assert price_for(DEFAULT_PRICES, "models/gemini-2.5-flash-001") is FLASH
    assert (
        price_for(DEFAULT_PRICES, "gemini-2.5-flash-lite")
        is DEFAULT_PRICES["gemini-2.5-flash-lite"]
    )
    assert price_for(DEFAULT_PRICES, "gemini-1.0-ultra") is None


counts_strategy = st.builds(
    lambda prompt, cached_share, audio_share, candidates, thoughts: TokenCounts(
        prompt=prompt,
        cached=int(prompt * cached_share),
        audio_prompt=int(prompt * audio_share),
        audio_cached=int(min(prompt * cached_share, prompt * audio_share) * 0.5),
        candidates=candidates,
        thoughts=thoughts,
    ),
    st.integers(0, 2_000_000),
    st.floats(0, 1),
    st.floats(0, 1),
    st.integers(0, 65_536),
    st.integers(0, 32_768),
)


@given(counts_strategy, st.sampled_from(sorted(DEFAULT_PRICES)))
def test_cost_is_never_negative_nor_above_the_worst_case(counts: TokenCounts, model: str) -> None:
    price: ModelPrice = DEFAULT_PRICES[model]
    cost = cost_usd(price, counts)
    assert (
        0
        <= cost
        <= worst_case_cost_usd(price, counts.prompt, counts.candidates + counts.thoughts) + 1e-12
    )


@given(counts_strategy)
def test_caching_never_costs_more_than_sending(counts: TokenCounts) -> None:
    uncached = TokenCounts(
        prompt=counts.prompt,
        candidates=counts.candidates,
        thoughts=counts.thoughts,
        audio_prompt=counts.audio_prompt,
    )
    assert cost_usd(FLASH, counts) <= cost_usd(FLASH, uncached) + 1e-12
