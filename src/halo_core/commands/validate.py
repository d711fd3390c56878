"""`halo validate SPEC`: check everything a run would need, before any work starts."""

from __future__ import annotations

import click

from ..errors import SpecError
from ..spec import inspect_spec, load_spec
from . import global_options


@click.command("validate")
@click.argument("spec", metavar="SPEC")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a spec value, e.g. --set chunker.with.max_duration=120 (repeatable).")
@click.option("--input", "inputs", multiple=True, metavar="FILE",
              help="Media file or glob, replacing the spec's inputs (repeatable).")
@click.option("--out", default=None, metavar="DIR", help="Output folder, replacing the spec's.")
def command(
    spec: str, overrides: tuple[str, ...], inputs: tuple[str, ...], out: str | None
) -> None:
    """Report every problem in SPEC at once (file:line:column), or a short summary when it is OK.

    Checks component names, each component's options, requires/provides between extractors,
    missing dependencies and secrets, and probes every input (exit code 2 on any problem).
    """
    loaded = load_spec(spec, overrides=list(overrides), inputs=list(inputs), out=out)
    report = inspect_spec(loaded, media=True)
    if report.problems:
        raise SpecError(report.problems, path=str(loaded.path))
    if global_options().quiet:
        return
    click.echo(f"{loaded.path}: OK — pipeline {loaded.spec.name!r}")
    click.echo(f"  inputs ({len(report.media)}):")
    for media in report.media:
        kinds = "+".join(sorted({s.kind for s in media.streams}))
        click.echo(f"    {media.path} ({media.duration:.1f} s, {kinds})")
    click.echo("  components:")
    for use in report.components:
        click.echo(f"    {use.role:<13} {use.name:<22} {use.distribution} {use.version}")
    for notice in report.notices:
        click.echo(f"  note: {notice}")
    click.echo(f"  outputs: {loaded.spec.outputs}/{loaded.spec.name}/<media stem>/")
