"""Gemini prices as configuration, and the cost of a call from the usage the API reports.

Prices are USD per 1M tokens (published Gemini Developer API list prices, 2025-2026). A spec
overrides or adds models with `llm.with.prices: {model: {...}}`; nothing here is estimated after
the fact: cost always comes from the token counts in `usage_metadata`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

PER_MILLION = 1_000_000


class Rates(BaseModel):
    """USD per 1M tokens for one prompt-size tier."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0, description="prompt tokens (text, image, video frames)")
    output: float = Field(ge=0, description="candidate and thinking tokens")
    cached_input: float = Field(ge=0, description="prompt tokens served from a context cache")
    audio_input: float | None = Field(
        default=None, ge=0, description="audio prompt tokens, when priced apart (else `input`)"
    )
    cached_audio_input: float | None = Field(
        default=None,
        ge=0,
        description="cached audio tokens, when priced apart (else `cached_input`)",
    )


class ModelPrice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    standard: Rates
    long_context: Rates | None = Field(
        default=None, description="rates when the prompt has more than `long_context_above` tokens"
    )
    long_context_above: int = Field(default=200_000, ge=0)
    cache_storage_per_hour: float = Field(
        default=0.0, ge=0, description="USD per 1M cached tokens per hour of a context cache's TTL"
    )
    batch_discount: float = Field(
        default=0.5, gt=0, le=1, description="fraction of the price paid through the Batch API"
    )
    cache_min_tokens: int = Field(
        default=1024, ge=0, description="smallest context the model accepts for explicit caching"
    )

    def rates(self, prompt_tokens: int) -> Rates:
        if self.long_context is not None and prompt_tokens > self.long_context_above:
            return self.long_context
        return self.standard


DEFAULT_PRICES: dict[str, ModelPrice] = {
    "gemini-2.5-flash": ModelPrice(
        standard=Rates(
            input=0.30, audio_input=1.00, output=2.50, cached_input=0.03, cached_audio_input=0.10
        ),
        cache_storage_per_hour=1.00,
        cache_min_tokens=1024,
    ),
    "gemini-2.5-pro": ModelPrice(
        standard=Rates(input=1.25, output=10.00, cached_input=0.125),
        long_context=Rates(input=2.50, output=15.00, cached_input=0.25),
        cache_storage_per_hour=4.50,
        cache_min_tokens=4096,
    ),
    "gemini-2.5-flash-lite": ModelPrice(
        standard=Rates(
            input=0.10, audio_input=0.30, output=0.40, cached_input=0.01, cached_audio_input=0.03
        ),
        cache_storage_per_hour=1.00,
        cache_min_tokens=1024,
    ),
}


@dataclass(frozen=True)
class TokenCounts:
    """The billable counts of one response, as `usage_metadata` reports them.

    `prompt` includes `cached`; `audio_prompt` / `audio_cached` are the AUDIO-modality parts of
    them (0 when the API gives no per-modality detail).
    """

    prompt: int = 0
    candidates: int = 0
    cached: int = 0
    thoughts: int = 0
    audio_prompt: int = 0
    audio_cached: int = 0


def price_for(prices: dict[str, ModelPrice], model: str) -> ModelPrice | None:
    """The price of `model`, also by family for versioned names (gemini-2.5-flash-001)."""
    name = model.removeprefix("models/")
    if name in prices:
        return prices[name]
    prefixes = [known for known in prices if name.startswith(known + "-")]
    return prices[max(prefixes, key=len)] if prefixes else None


def cost_usd(price: ModelPrice, counts: TokenCounts, *, batch: bool = False) -> float:
    """(prompt − cached)·input + cached·cached_input + (candidates + thoughts)·output, where
    audio tokens use the audio rates when the model prices them apart, and the tier is chosen by
    the prompt size."""
    rates = price.rates(counts.prompt)
    audio_rate = rates.audio_input if rates.audio_input is not None else rates.input
    cached_audio_rate = (
        rates.cached_audio_input if rates.cached_audio_input is not None else rates.cached_input
    )
    fresh_audio = counts.audio_prompt - counts.audio_cached
    fresh_other = counts.prompt - counts.cached - fresh_audio
    cached_other = counts.cached - counts.audio_cached
    total = (
        fresh_other * rates.input
        + fresh_audio * audio_rate
        + cached_other * rates.cached_input
        + counts.audio_cached * cached_audio_rate
        + (counts.candidates + counts.thoughts) * rates.output
    ) / PER_MILLION
    return total * (price.batch_discount if batch else 1.0)


def worst_case_cost_usd(
    price: ModelPrice, prompt_tokens: int, max_output_tokens: int, *, batch: bool = False
) -> float:
    """The most a call can cost: every prompt token at the (audio) input rate, and the whole
    output allowance (which includes thinking) used."""
    rates = price.rates(prompt_tokens)
    input_rate = max(rates.input, rates.audio_input or 0.0)
    total = (prompt_tokens * input_rate + max_output_tokens * rates.output) / PER_MILLION
    return total * (price.batch_discount if batch else 1.0)


def cache_storage_cost_usd(price: ModelPrice, tokens: int, ttl_s: float) -> float:
    return tokens * price.cache_storage_per_hour * (ttl_s / 3600.0) / PER_MILLION
