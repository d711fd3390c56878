"""LLM prices with the dates they apply from, in one place, and the cost of a call from its usage.

Every LLM backend prices its calls here. The published prices are data (`data/prices.json`: USD
per 1M tokens, each period with its `from` date and the pages it was read from); a spec overrides
or adds models with `llm.with.prices`, e.g. `{my-model: {standard: {input: 1.0, cached_input:
0.25, output: 2.0}}}` (a price without `from` applies on every date). The date of the call picks
the period: `PriceTable.price(model, on)`. Cost is always computed from the token counts the API
reported, never estimated after the fact.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .components import ComponentConfig

PER_MILLION = 1_000_000


class Rates(BaseModel):
    """USD per 1M tokens for one prompt-size tier."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0, description="prompt tokens (text, image, video frames)")
    output: float = Field(ge=0, description="output tokens, thinking/reasoning included")
    cached_input: float | None = Field(
        default=None,
        ge=0,
        description="prompt tokens served from a cache; null (unpublished): the input rate",
    )
    audio_input: float | None = Field(
        default=None, ge=0, description="audio prompt tokens, when priced apart (else `input`)"
    )
    cached_audio_input: float | None = Field(
        default=None, ge=0, description="cached audio tokens, when priced apart (else cached)"
    )

    @property
    def cached(self) -> float:
        return self.input if self.cached_input is None else self.cached_input


class ModelPrice(BaseModel):
    """A model's price from one date on (`from`; null: from any date)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: date | None = Field(default=None, alias="from", description="first day it applies")
    standard: Rates
    long_context: Rates | None = Field(
        default=None, description="rates for the whole request above `long_context_above` tokens"
    )
    long_context_above: int = Field(default=200_000, ge=0)
    cache_storage_per_hour: float = Field(
        default=0.0, ge=0, description="USD per 1M cached tokens per hour of an explicit cache"
    )
    batch_discount: float = Field(
        default=1.0, gt=0, le=1, description="fraction of the price paid through a batch API"
    )
    cache_min_tokens: int = Field(
        default=1024, ge=0, description="smallest context the model accepts for explicit caching"
    )
    note: str = ""
    sources: list[str] = Field(default=[], description="where each figure was read")
    unsourced: list[str] = Field(default=[], description="fields no source read gave")

    def rates(self, prompt_tokens: int) -> Rates:
        if self.long_context is not None and prompt_tokens > self.long_context_above:
            return self.long_context
        return self.standard


class MediaAccounting(BaseModel):
    """How a model family counts media: tokens per video frame by media resolution."""

    model_config = ConfigDict(extra="forbid")

    video_tokens_per_frame: dict[str, int | None]
    audio_tokens_per_s: int = 32
    per_part_media_resolution: bool = False
    unsourced: list[str] = []
    sources: list[str] = []

    def frame_tokens(self, resolution: str) -> int | None:
        return self.video_tokens_per_frame.get(resolution)


PriceSpec = ModelPrice | list[ModelPrice]
"""What a spec gives per model under `llm.with.prices`: one price, or dated prices."""


class PriceTable:
    """Dated prices by model name; `price(model, on)` is the one that applies on a date."""

    def __init__(
        self,
        periods: Mapping[str, list[ModelPrice]],
        *,
        media: Mapping[str, MediaAccounting] | None = None,
        media_of: Mapping[str, str] | None = None,
        overridden: frozenset[str] = frozenset(),
    ) -> None:
        self.periods = {
            name: sorted(ps, key=lambda p: p.from_ or date.min) for name, ps in periods.items()
        }
        self.media = dict(media or {})
        self.media_of = dict(media_of or {})
        self.overridden = overridden

    @classmethod
    def published(cls) -> PriceTable:
        """The prices in `data/prices.json`."""
        return _published()

    def with_overrides(self, overrides: Mapping[str, PriceSpec]) -> PriceTable:
        """This table with a spec's `llm.with.prices` replacing (or adding) whole models."""
        if not overrides:
            return self
        periods = dict(self.periods)
        for name, given in overrides.items():
            periods[name] = given if isinstance(given, list) else [given]
        return PriceTable(
            periods,
            media=self.media,
            media_of=self.media_of,
            overridden=self.overridden | frozenset(overrides),
        )

    def _name(self, model: str) -> str | None:
        """The table's name for `model`, also by family for versioned names (x-001, x-preview)."""
        name = model.removeprefix("models/")
        if name in self.periods:
            return name
        prefixes = [known for known in self.periods if name.startswith(known + "-")]
        return max(prefixes, key=len) if prefixes else None

    def knows(self, model: str) -> bool:
        return self._name(model) is not None

    def price(self, model: str, on: date) -> ModelPrice | None:
        """The price of `model` that applies on `on` (the latest period begun by then)."""
        name = self._name(model)
        if name is None:
            return None
        begun = [p for p in self.periods[name] if p.from_ is None or p.from_ <= on]
        return begun[-1] if begun else None

    def media_accounting(self, model: str) -> MediaAccounting | None:
        name = self._name(model)
        family = self.media_of.get(name or "") if name else None
        return self.media.get(family) if family else None

    def listing(self) -> list[dict[str, Any]]:
        """Every known model's periods, JSON-safe (what `halo prices --json` prints)."""
        return [
            {
                "model": name,
                "overridden_by_spec": name in self.overridden,
                "media": self.media_of.get(name),
                "prices": [p.model_dump(mode="json", by_alias=True) for p in periods],
            }
            for name, periods in sorted(self.periods.items())
        ]


@cache
def _published() -> PriceTable:
    raw = json.loads(resources.files("halo_core").joinpath("data/prices.json").read_text("utf-8"))
    models = raw["models"]
    return PriceTable(
        {
            name: [ModelPrice.model_validate(p) for p in entry["prices"]]
            for name, entry in models.items()
        },
        media={k: MediaAccounting.model_validate(v) for k, v in raw["media"].items()},
        media_of={name: entry["media"] for name, entry in models.items() if entry.get("media")},
    )


def price_table(overrides: Mapping[str, PriceSpec] | None = None) -> PriceTable:
    """The published prices with a spec's overrides on top."""
    return PriceTable.published().with_overrides(overrides or {})


def today() -> date:
    """The date prices are looked up for (UTC): backends hold it as an injectable callable."""
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class TokenCounts:
    """The billable counts of one response, as the API reported them.

    `prompt` includes `cached`; `output` and `thoughts` are both billed at the output rate, so a
    backend whose API counts reasoning inside its output (OpenAI's `completion_tokens`) passes it
    once, in `output`. `audio_prompt` / `audio_cached` are the audio parts of `prompt` / `cached`.
    """

    prompt: int = 0
    output: int = 0
    cached: int = 0
    thoughts: int = 0
    audio_prompt: int = 0
    audio_cached: int = 0


def cost_usd(price: ModelPrice, counts: TokenCounts, *, batch: bool = False) -> float:
    """(prompt − cached)·input + cached·cached_input + (output + thoughts)·output, audio
    tokens at the audio rates where the model prices them apart, the tier by the prompt size."""
    rates = price.rates(counts.prompt)
    audio_rate = rates.audio_input if rates.audio_input is not None else rates.input
    cached_audio_rate = (
        rates.cached_audio_input if rates.cached_audio_input is not None else rates.cached
    )
    fresh_audio = counts.audio_prompt - counts.audio_cached
    fresh_other = counts.prompt - counts.cached - fresh_audio
    cached_other = counts.cached - counts.audio_cached
    total = (
        fresh_other * rates.input
        + fresh_audio * audio_rate
        + cached_other * rates.cached
        + counts.audio_cached * cached_audio_rate
        + (counts.output + counts.thoughts) * rates.output
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


class PricedConfig(ComponentConfig):
    """Base of every LLM backend's config: the spec's `llm.with.prices` in the same form for all."""

    prices: dict[str, PriceSpec] = Field(
        default={},
        description="USD per 1M tokens by model, replacing or adding to the published prices: "
        "{model: {standard: {input, cached_input, output}}} (optional `from` date, "
        "long_context, batch_discount, cache_storage_per_hour)",
    )
