"""`halo chat RUN_DIR`: a conversation about a finished run, one question per line."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from ..errors import HaloError
from ..qa import DEFAULT_BUDGET, ask_in_session, open_qa
from .ask import print_answer

QUIT = {"exit", "quit", ":q"}


@click.command("chat")
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(path_type=Path))
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
def command(run_dir: Path, session: str | None, as_json: bool, budget: int) -> None:
    """Ask questions about the run in RUN_DIR, one per line, until end of input or `exit`.

    Follow-up questions ("and when did that happen?") are read with the conversation so far;
    the conversation is saved after every answer, so `--session NAME` picks it up later.
    """
    name = session or datetime.now(UTC).strftime("chat-%Y%m%d-%H%M%S")
    qa = open_qa(run_dir, budget)
    interactive = sys.stdin.isatty()
    click.echo(f"session {name} (resume with --session {name}); `exit` or Ctrl-D ends", err=True)
    try:
        while True:
            if interactive:
                click.echo("> ", nl=False, err=True)
            line = sys.stdin.readline()
            if not line or line.strip().lower() in QUIT:
                break
            if not line.strip():
                continue
            try:
                print_answer(ask_in_session(qa, line, name), as_json, name)
            except HaloError as exc:  # one bad question does not end the conversation
                click.echo(exc.message, err=True)
    finally:
        qa.close()
