"""`halo prices`: the LLM prices HALO knows, from when each applies, and where it was read."""

from __future__ import annotations

import json
from datetime import date

import click

from ..prices import PriceTable, price_table, today


def _table(spec: str | None) -> PriceTable:
    if spec is None:
        return price_table()
    from ..spec import load_spec

    loaded = load_spec(spec)
    return price_table(loaded.spec.llm.with_.get("prices") or {})


def _money(value: float | None) -> str:
    return "unsourced" if value is None else f"${value:g}"


@click.command("prices")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--on",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Mark the price that applies on this date (default: today, UTC).",
)
@click.option("--spec", default=None, metavar="SPEC", help="Include this spec's llm.with.prices.")
def command(as_json: bool, on: object, spec: str | None) -> None:
    """List known LLM prices (USD per 1M tokens) with the date each applies from."""
    table = _table(spec)
    day: date = on.date() if on is not None else today()  # type: ignore[attr-defined]
    if as_json:
        click.echo(json.dumps({"on": day.isoformat(), "models": table.listing()}, indent=2))
        return
    for name, periods in sorted(table.periods.items()):
        current = table.price(name, day)
        by_spec = " (from the spec)" if name in table.overridden else ""
        click.echo(f"{name}{by_spec}")
        for period in periods:
            rates = period.standard
            mark = "*" if period is current else " "
            since = period.from_.isoformat() if period.from_ else "any date"
            line = (
                f" {mark} from {since:<10}  input {_money(rates.input)}  cached "
                f"{_money(rates.cached_input)}  output {_money(rates.output)}"
            )
            if period.long_context is not None:
                line += f"  (above {period.long_context_above} tokens: input "
                line += f"{_money(period.long_context.input)}, output "
                line += f"{_money(period.long_context.output)})"
            if period.batch_discount < 1:
                line += f"  batch x{period.batch_discount:g}"
            click.echo(line + (f"  - {period.note}" if period.note else ""))
    click.echo(f"* applies on {day.isoformat()}; sources: halo prices --json")
