"""The price table: dated periods, spec overrides, cost from reported usage, `halo prices`."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from halo_core.cli import main as cli
from halo_core.prices import (
    ModelPrice,
    PricedConfig,
    TokenCounts,
    cost_usd,
    price_table,
    worst_case_cost_usd,
)


def test_every_published_price_names_its_sources() -> None:
    table = price_table()
    for name, periods in table.periods.items():
        for period in periods:
            assert period.sources, f"{name} from {period.from_} has no source"
            if period.standard.cached_input is None:
                assert period.unsourced, f"{name}: a missing rate must say why"


def test_the_date_picks_the_period_announced_changes_included() -> None:
    table = price_table()
    argon = [table.price("gemini-4-argon", date(2026, 11, d)) for d in (29, 30)]
    assert {p.standard.input for p in argon if p} == {2.0}
    after = table.price("gemini-4-argon", date(2026, 12, 1))
    assert after is not None and after.standard.output == 20.0
    flash = table.price("gemini-3.8-flash", date(2026, 12, 31))
    assert flash is not None and flash.standard.input == 0.75
    later = table.price("gemini-3.8-flash", date(2027, 1, 1))
    assert later is not None and later.standard.input == 1.5
    assert table.price("gemini-4-argon", date(2026, 9, 29)) is None  # before the model existed


def test_versioned_names_find_their_family_and_unknown_models_have_no_price() -> None:
    table = price_table()
    assert table.price("models/gemini-3.8-flash-preview-09", date(2026, 11, 29)) is not None
    assert table.price("llama3.2:3b", date(2026, 11, 29)) is None


def test_the_spec_form_overrides_and_adds_models_on_every_date() -> None:
    config = PricedConfig.model_validate(
        {"prices": {"my-model": {"standard": {"input": 1.0, "cached_input": 0.25, "output": 2.0}}}}
    )
    table = price_table(config.prices)
    for day in (date(2000, 1, 1), date(2030, 1, 1)):
        price = table.price("my-model", day)
        assert price is not None and price.standard.cached_input == 0.25
    overridden = price_table({"gemini-4-argon": ModelPrice.model_validate(
        {"standard": {"input": 9, "output": 9}}
    )})
    price = overridden.price("gemini-4-argon", date(2026, 12, 5))
    assert price is not None and price.standard.input == 9
    assert "gemini-4-argon" in overridden.overridden


def test_cost_counts_cached_tokens_at_the_cached_rate_and_thoughts_as_output() -> None:
    price = ModelPrice.model_validate(
        {"standard": {"input": 1.0, "cached_input": 0.25, "output": 2.0}}
    )
    counts = TokenCounts(prompt=1_000_000, cached=400_000, output=100_000, thoughts=50_000)
    assert cost_usd(price, counts) == pytest.approx(0.6 + 0.1 + 0.3)


def test_an_unpublished_cached_rate_bills_cached_tokens_as_input() -> None:
    price = ModelPrice.model_validate({"standard": {"input": 1.5, "output": 7.5}})
    assert cost_usd(price, TokenCounts(prompt=1_000_000, cached=1_000_000)) == pytest.approx(1.5)


def test_the_long_context_tier_prices_the_whole_request() -> None:
    table = price_table()
    sol = table.price("gpt-6.1-sol", date(2026, 11, 29))
    assert sol is not None
    assert cost_usd(sol, TokenCounts(prompt=272_000)) == pytest.approx(0.544)
    assert cost_usd(sol, TokenCounts(prompt=272_001)) == pytest.approx(272_001 * 4 / 1e6)


@given(
    prompt=st.integers(0, 2_000_000),
    cached_share=st.floats(0, 1),
    output=st.integers(0, 100_000),
    batch=st.booleans(),
)
def test_cost_is_never_above_the_worst_case_nor_below_zero(
    prompt: int, cached_share: float, output: int, batch: bool
) -> None:
    table = price_table()
    for name in table.periods:
        price = table.price(name, date(2026, 11, 29))
        if price is None:
            continue
        counts = TokenCounts(prompt=prompt, cached=int(prompt * cached_share), output=output)
        cost = cost_usd(price, counts, batch=batch)
        assert 0 <= cost <= worst_case_cost_usd(price, prompt, output, batch=batch) + 1e-12


def test_halo_prices_lists_models_from_when_and_marks_the_current_one() -> None:
    out = CliRunner().invoke(cli, ["prices", "--on", "2026-12-01"])
    assert out.exit_code == 0, out.output
    argon = out.output.split("gemini-4-argon\n")[1].splitlines()[:2]
    assert argon[0].startswith("   from 2026-09-30") and argon[1].startswith(" * from 2026-12-01")
    listed = json.loads(CliRunner().invoke(cli, ["prices", "--json"]).output)
    names = {m["model"] for m in listed["models"]}
    assert {"gemini-3.8-flash", "gemini-4-argon", "gpt-6.1-sol"} <= names


PRO_2_5 = price_table().price("gemini-2.5-pro", date(2026, 11, 29))
FLASH_2_5 = price_table().price("gemini-2.5-flash", date(2026, 11, 29))


def test_the_formula_on_known_numbers_and_the_batch_discount() -> None:
    assert PRO_2_5 is not None
    counts = TokenCounts(prompt=10_000, output=500, cached=4_000, thoughts=300)
    # (10000 - 4000) x 1.25 + 4000 x 0.125 + (500 + 300) x 10, per 1M tokens
    expected = (6000 * 1.25 + 4000 * 0.125 + 800 * 10) / 1e6
    assert cost_usd(PRO_2_5, counts) == pytest.approx(expected)
    assert cost_usd(PRO_2_5, counts, batch=True) == pytest.approx(expected / 2)


def test_audio_tokens_use_the_audio_rates() -> None:
    assert FLASH_2_5 is not None
    counts = TokenCounts(prompt=1000, cached=400, audio_prompt=300, audio_cached=100)
    # fresh: 400 other + 200 audio; cached: 300 other + 100 audio
    expected = (400 * 0.30 + 200 * 1.00 + 300 * 0.03 + 100 * 0.10) / 1e6
    assert cost_usd(FLASH_2_5, counts) == pytest.approx(expected)


@given(
    prompt=st.integers(0, 2_000_000),
    cached_share=st.floats(0, 1),
    audio_share=st.floats(0, 1),
    output=st.integers(0, 65_536),
)
def test_caching_never_costs_more_than_sending(
    prompt: int, cached_share: float, audio_share: float, output: int
) -> None:
    assert FLASH_2_5 is not None
    audio = int(prompt * audio_share)
    cached = int(prompt * cached_share)
    counts = TokenCounts(
        prompt=prompt, cached=cached, output=output, audio_prompt=audio,
        audio_cached=int(min(cached, audio) * 0.5),
    )
    uncached = TokenCounts(prompt=prompt, output=output, audio_prompt=audio)
    assert cost_usd(FLASH_2_5, counts) <= cost_usd(FLASH_2_5, uncached) + 1e-12
