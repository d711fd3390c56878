"""`halo ask RUN_DIR "question"`: answer one question about a finished run, or across a library
(`halo library`), with citations."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click

from ..api import answer_record
from ..errors import HaloError
from ..library import is_library, open_library
from ..model import Answer
from ..qa import DEFAULT_BUDGET, QA, ask_in_session, clean_question, open_qa

Asking = Callable[[str, str | None], Answer]
"""(question, session name) -> the answer"""


@dataclass
class RunAsking:
    """Questions to one run folder (an `Asking`)."""

    qa: QA

    def __call__(self, question: str, session: str | None) -> Answer:
        return ask_in_session(self.qa, question, session)


@contextmanager
def asking(
    path: Path, budget: int, videos: tuple[str, ...], speaker: str | None, since: str | None
) -> Iterator[Asking]:
    """Questions to the run folder or library in `path`; the filters apply to a library only."""
    if is_library(path):
        with open_library(path, budget=budget) as library:
            yield lambda q, s: library.ask(q, s, videos=videos, speaker=speaker, since=since)
        return
    if videos or speaker or since:
        raise HaloError(
            "--video, --speaker and --since filter the videos of a library",
            where=str(path),
            fix="drop them for a run folder, or make a library: halo library add LIB RUN_DIR",
        )
    qa = open_qa(path, budget)
    try:
        yield RunAsking(qa)
    finally:
        qa.close()


def filter_options(command: Callable[..., None]) -> Callable[..., None]:
    """--video, --speaker, --since: what a library question is answered from."""
    command = click.option(
        "--since",
        default=None,
        metavar="YYYY-MM-DD",
        help="Library: only videos recorded on or after this day.",
    )(command)
    command = click.option(
        "--speaker",
        default=None,
        metavar="NAME",
        help="Library: only what this speaker said.",
    )(command)
    return click.option(
        "--video",
        "videos",
        multiple=True,
        metavar="ID",
        help="Library: only this video (repeatable; ids from `halo library list`).",
    )(command)


def print_answer(
    answer: Answer, as_json: bool, session: str | None = None, embedded_texts: int | None = None
) -> None:
    if as_json:
        record = answer_record(answer, session, embedded_texts)
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    click.echo(answer.answer)
    tier = f"cache {answer.cache_tier}" if answer.cache_tier else "no cache hit"
    click.echo(
        f"  ({tier}; {answer.usage.input_tokens} input tokens, "
        f"{answer.naive_input_tokens} with the whole transcript)",
        err=True,
    )


@click.command("ask")
@click.argument("run_dir", metavar="RUN_DIR|LIB", type=click.Path(path_type=Path))
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
@filter_options
def command(
    run_dir: Path,
    question: str,
    as_json: bool,
    session: str | None,
    budget: int,
    videos: tuple[str, ...],
    speaker: str | None,
    since: str | None,
) -> None:
    """Answer QUESTION about the run in RUN_DIR (a folder written by `halo run`), or across the
    videos of the library LIB (`halo library add`).

    The answer cites the moments it comes from as [mm:ss–mm:ss] (in a library, with the video's
    id). Only the retrieved excerpts are sent to the LLM; repeated and paraphrased questions are
    answered from the cache (a repeated one before any model loads).
    """
    question = clean_question(question)  # before loading anything
    with asking(run_dir, budget, videos, speaker, since) as ask:
        answer = ask(question, session)
    embedded = ask.qa.embedded_texts if isinstance(ask, RunAsking) else None
    print_answer(answer, as_json, session, embedded)
