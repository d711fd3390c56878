"""`halo run SPEC`: run a pipeline spec over its inputs and say where the outputs went."""

from __future__ import annotations

import logging
import os
import traceback
from pathlib import Path

import click

from . import global_options


@click.command("run")
@click.argument("spec", type=click.Path(path_type=Path))
@click.option(
    "--input",
    "inputs",
    multiple=True,
    metavar="FILE",
    help="Media file or glob to run on instead of the spec's inputs (repeatable).",
)
@click.option(
    "--out",
    type=click.Path(),
    default=None,
    help="Outputs folder instead of the spec's `outputs`.",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="K=V",
    help="Override a spec value, e.g. --set chunker.with.max_duration=90 (repeatable).",
)
@click.option(
    "--ask",
    "questions",
    multiple=True,
    metavar="QUESTION",
    help="A question to answer into answers.json and notes.md, besides the spec's `tasks.ask` "
    "and each input's sidecar <media stem>.questions.yaml (repeatable).",
)
@click.option(
    "--executor",
    default=None,
    metavar="NAME",
    help="Run the stages with this executor instead of the spec's (`halo plugins` lists them).",
)
@click.option(
    "--force", is_flag=True, help="Recompute every stage instead of reusing finished ones."
)
@click.option(
    "--estimate",
    is_flag=True,
    help="Print the requests, tokens and dollars the run's LLM work would spend (and the naive "
    "whole-video cost; with llm.with.max_cost_usd, the per-chunk plan), making no generation "
    "call; write no outputs. Exit 3 when no plan fits the budget.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
def command(
    spec: Path,
    inputs: tuple[str, ...],
    out: str | None,
    overrides: tuple[str, ...],
    questions: tuple[str, ...],
    executor: str | None,
    force: bool,
    estimate: bool,
    quiet: bool,
) -> int:
    """Run the pipeline SPEC: extract, chunk, index, summarize, answer, write the outputs.

    Outputs go to <outputs>/<spec name>/<media stem>/. An extractor an input cannot feed (no
    audio for speech, no video for scenes and slides) is skipped with a notice, unless the spec
    marks it `required: true`. Questions: the spec's, --ask's, and those of a sidecar
    <media stem>.questions.yaml beside each input (a YAML list of strings). A re-run reuses
    every finished stage; a run that was interrupted resumes where it stopped. Exit codes: 0 ok,
    1 a stage failed, 2 bad input, 3 the LLM budget was reached, or not even the cheapest
    per-chunk plan fits it (finished work is kept).
    """
    from ..chunk_plan import render as render_chunk_plan
    from ..progress import Progress
    from ..runner import run
    from ..spec import load_spec

    # --executor first, so `--set executor.with.X=...` sets that executor's options.
    sets = [*([f"executor={{use: {executor}}}"] if executor else []), *overrides]
    loaded = load_spec(spec, overrides=sets, inputs=list(inputs), out=out, ask=questions)
    for handler in logging.getLogger("halo").handlers:
        handler.addFilter(loaded.log_filter())  # secrets never reach the log
    progress = Progress(quiet=quiet or global_options().quiet)
    if estimate:
        from ..cost_plan import plan_run

        plan = plan_run(loaded, progress)
        click.echo(loaded.redact(plan.render()))
        return plan.exit_code
    results = run(loaded, force=force, progress=progress)
    for result in results:
        if result.report is not None and result.report.plan is not None:
            spent = sum(m.cost_usd for m in result.report.llm.values())
            click.echo(f"{result.input}: {render_chunk_plan(result.report.plan, spent)}")
        if result.error is None:
            reused = sum(s.reused for s in result.report.stages) if result.report else 0
            total = len(result.report.stages) if result.report else 0
            click.echo(
                f"{result.input}: outputs in {result.run_dir} ({reused} of {total} stages reused)"
            )
        else:
            if os.environ.get("HALO_DEBUG") == "1":
                traceback.print_exception(result.error)
            message = loaded.redact(result.error.message)
            named = str(result.input) in message or str(result.input.resolve()) in message
            click.echo(message if named else f"{result.input}: {message}", err=True)
    return max((r.exit_code for r in results), default=0)
