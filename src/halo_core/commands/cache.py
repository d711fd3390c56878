"""`halo cache stats|clear`: the tiered LLM cache of a run's (or a spec's) cache backend."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..components import CacheBackend
from ..errors import HaloError
from ..model import TierStats
from ..tiered_cache import STATS_NAMESPACE, TIERS, clear_tier, read_entry, tier_entry_counts


def _open(run_dir: Path | None, spec: str | None) -> CacheBackend[Any]:
    if (run_dir is None) == (spec is None):
        raise HaloError(
            "name the cache by a run folder or by a spec, not both or neither",
            fix="halo cache stats runs/lecture/lecture, or halo cache stats --spec SPEC",
        )
    if run_dir is not None:
        from ..qa import open_cache
        from ..run_data import load_run

        return open_cache(load_run(run_dir))
    from ..plugins import get_registry
    from ..spec import load_spec

    assert spec is not None  # exactly one of run_dir and spec, checked above
    loaded = load_spec(spec)
    cache: CacheBackend[Any] = get_registry().build(
        "cache", loaded.spec.cache.use, loaded.spec.cache.with_
    )
    return cache


def tier_stats(cache: CacheBackend[Any]) -> dict[str, TierStats]:
    """Hits and misses recorded by every `halo` process so far, with the entries held now."""
    entries = tier_entry_counts(cache)
    stats: dict[str, TierStats] = {}
    for tier in TIERS:
        totals = read_entry(cache, STATS_NAMESPACE, tier, TierStats) or TierStats()
        stats[tier] = totals.model_copy(update={"entries": entries[tier]})
    return stats


_source = [
    click.argument("run_dir", metavar="[RUN_DIR]", required=False, type=click.Path(path_type=Path)),
    click.option(
        "--spec", default=None, metavar="SPEC", help="Use this spec's cache instead of a run's."
    ),
]


F = TypeVar("F", bound=Callable[..., Any])


def _with_source(f: F) -> F:
    for decorator in reversed(_source):
        f = decorator(f)
    return f


@click.group("cache")
def command() -> None:
    """Inspect or clear the LLM cache tiers (L1 exact, L2 semantic, L3 summaries)."""


@command.command("stats")
@_with_source
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
def stats(run_dir: Path | None, spec: str | None, as_json: bool) -> None:
    """Entries, hits and misses per tier of the cache of RUN_DIR's spec (or --spec SPEC)."""
    cache = _open(run_dir, spec)
    try:
        found = tier_stats(cache)
    finally:
        cache.close()
    if as_json:
        click.echo(json.dumps({t: s.model_dump(mode="json") for t, s in found.items()}, indent=2))
        return
    click.echo(f"cache {cache.name}")
    click.echo(f"  {'tier':<5} {'entries':>8} {'hits':>8} {'misses':>8} {'hit rate':>9}")
    for tier, s in found.items():
        asked = s.hits + s.misses
        rate = f"{s.hits / asked:.0%}" if asked else "-"
        click.echo(f"  {tier:<5} {s.entries or 0:>8} {s.hits:>8} {s.misses:>8} {rate:>9}")


@command.command("clear")
@_with_source
@click.option("--tier", type=click.Choice(TIERS), default=None, help="Clear only this tier.")
def clear(run_dir: Path | None, spec: str | None, tier: str | None) -> None:
    """Remove the cached LLM answers and summaries (one tier, or all three)."""
    cache = _open(run_dir, spec)
    try:
        removed = clear_tier(cache, tier)
    finally:
        cache.close()
    click.echo(
        f"removed {removed} entr{'y' if removed == 1 else 'ies'} from "
        f"{'tier ' + tier if tier else 'every tier'} of cache {cache.name}"
    )
