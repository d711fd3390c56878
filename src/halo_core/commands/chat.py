"""`halo chat RUN_DIR`: a conversation about a finished run, one question per line."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from ..errors import HaloError
from ..qa import DEFAULT_BUDGET
from .ask import asking, filter_options, print_answer

QUIT = {"exit", "quit", ":q"}


@click.command("chat")
@click.argument("run_dir", metavar="RUN_DIR|LIB", type=click.Path(path_type=Path))
@click.option(
    "--session",
    default=None,
    metavar="NAME",
    help="Continue the conversation NAME (default: a new one, named on start).",
)
@click.option("--json", "as_json", is_flag=True, help="Print each answer as JSON.")
@click.option(
    "--budget",
    type=click.IntRange(min=16),
    default=DEFAULT_BUDGET,
    show_default=True,
    help="Context tokens each question may use.",
)
@filter_options
def command(
    run_dir: Path,
    session: str | None,
    as_json: bool,
    budget: int,
    videos: tuple[str, ...],
    speaker: str | None,
    since: str | None,
) -> None:
    """Ask questions about the run in RUN_DIR (or across the library LIB), one per line, until
    end of input or `exit`.

    Follow-up questions ("and when did that happen?") are read with the conversation so far;
    the conversation is saved after every answer, so `--session NAME` picks it up later.
    """
    name = session or datetime.now(UTC).strftime("chat-%Y%m%d-%H%M%S")
    interactive = sys.stdin.isatty()
    with asking(run_dir, budget, videos, speaker, since) as ask:
        click.echo(
            f"session {name} (resume with --session {name}); `exit` or Ctrl-D ends", err=True
        )
        while True:
            if interactive:
                click.echo("> ", nl=False, err=True)
            line = sys.stdin.readline()
            if not line or line.strip().lower() in QUIT:
                break
            if not line.strip():
                continue
            try:
                print_answer(ask(line, name), as_json, name)
            except HaloError as exc:  # one bad question does not end the conversation
                click.echo(exc.message, err=True)
