"""`halo ask RUN_DIR "question"`: answer one question about a finished run, with citations."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..model import Answer
from ..qa import DEFAULT_BUDGET, ask_in_session, clean_question, open_qa


def print_answer(answer: Answer, as_json: bool, session: str | None = None) -> None:
    if as_json:
        data = answer.model_dump(mode="json")
        data["session"] = session
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(answer.answer)
    tier = f"cache {answer.cache_tier}" if answer.cache_tier else "no cache hit"
    click.echo(
        f"  ({tier}; {answer.usage.input_tokens} input tokens, "
        f"{answer.naive_input_tokens} with the whole transcript)",
        err=True,
    )


@click.command("ask")
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(path_type=Path))
@click.argument("question")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the answer, citations, usage and cache tier as JSON.",
)
@click.option(
    "--session",
    default=None,
    metavar="NAME",
    help="Continue the conversation NAME (kept in RUN_DIR/sessions/NAME.json).",
)
@click.option(
    "--budget",
    type=click.IntRange(min=16),
    default=DEFAULT_BUDGET,
    show_default=True,
    help="Context tokens the question may use.",
)
def command(run_dir: Path, question: str, as_json: bool, session: str | None, budget: int) -> None:
    """Answer QUESTION about the run in RUN_DIR (a folder written by `halo run`).

    The answer cites the moments it comes from as [mm:ss–mm:ss]. Only the retrieved excerpts
    are sent to the LLM; repeated and paraphrased questions are answered from the cache.
    """
    question = clean_question(question)  # before loading anything
    qa = open_qa(run_dir, budget)
    try:
        answer = ask_in_session(qa, question, session)
    finally:
        qa.close()
    print_answer(answer, as_json, session)
