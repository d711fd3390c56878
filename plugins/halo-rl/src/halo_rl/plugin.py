"""halo-rl's hooks: the `ppo` chunker and the `halo rl train|eval` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from halo_core import hookimpl

from .chunker import PPOChunker


@hookimpl
def register_chunkers(register: Any) -> None:
    register(PPOChunker)


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(rl)


@click.group()
def rl() -> None:
    """Train and evaluate the PPO chunker (halo-rl)."""


@rl.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="where to write the policy (.npz)",
)
@click.option(
    "--synthetic",
    "synthetic_count",
    type=click.IntRange(min=0),
    default=128,
    show_default=True,
    help="train on N generated synthetic timelines",
)
@click.option(
    "--from",
    "run_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="also train on the timeline of this `halo run` folder (repeatable)",
)
@click.option(
    "--restarts",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="train this many seeds and keep the best on held-out synthetic timelines",
)
@click.option("--steps", type=click.IntRange(min=1024), default=200_000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--embedder",
    default="tfidf",
    show_default=True,
    help="embedder for the semantic observations and the coherence reward",
)
@click.option("--min-duration", type=float, default=20.0, show_default=True)
@click.option("--max-duration", type=float, default=120.0, show_default=True)
@click.option("--max-tokens", type=int, default=1500, show_default=True)
def train(
    out: Path,
    synthetic_count: int,
    run_dirs: tuple[Path, ...],
    restarts: int,
    steps: int,
    seed: int,
    embedder: str,
    min_duration: float,
    max_duration: float,
    max_tokens: int,
) -> None:
    """Train a policy with PPO; reproducible for a given seed."""
    from .env import Limits, RewardWeights
    from .episode import text_embedding
    from .train import VALIDATION_SEED, run_folder_episodes, synthetic_episodes, train_best_of

    embed = text_embedding(embedder)
    episodes = synthetic_episodes(synthetic_count, seed, embed)
    episodes += run_folder_episodes(run_dirs, embed)
    validation = synthetic_episodes(32, VALIDATION_SEED, embed)
    limits = Limits(min_duration=min_duration, max_duration=max_duration, max_tokens=max_tokens)
    click.echo(
        f"training on {len(episodes)} timelines ({sum(e.size for e in episodes)} candidate "
        f"boundaries), {steps} steps x {restarts} seed(s)",
        err=True,
    )
    reported = [-1]

    def progress(done: int, total: int) -> None:
        tenth = 10 * done // total
        if tenth != reported[0]:
            reported[0] = tenth
            click.echo(f"  {done}/{total} steps", err=True)

    result, scores = train_best_of(
        episodes,
        validation,
        restarts=restarts,
        limits=limits,
        weights=RewardWeights(),
        steps=steps,
        seed=seed,
        on_progress=progress,
    )
    result.policy.save(out)
    click.echo(
        "validation reward by seed: "
        + ", ".join(f"{seed + i}: {score:.2f}" for i, score in enumerate(scores)),
        err=True,
    )
    click.echo(
        f"wrote {out} (seed {result.policy.meta['seed']}, {out.stat().st_size / 1024:.1f} KB); "
        f"last training run {result.wall_s:.1f} s; "
        f"mean episode reward {result.reward_before:.2f} -> {result.reward_after:.2f}"
    )


@rl.command("eval")
@click.argument(
    "run_dirs",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option(
    "--truth",
    "truths",
    multiple=True,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="truth.json of each run's video, in the same order (repeatable)",
)
@click.option(
    "--chunker",
    "chunkers",
    multiple=True,
    default=("ppo", "rules", "fixed"),
    show_default=True,
    help="chunkers to compare (repeatable)",
)
@click.option(
    "--tolerance",
    type=float,
    default=5.0,
    show_default=True,
    help="seconds a boundary may be off and still count",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("rl-eval.svg"),
    show_default=True,
    help="where to write the F1 chart (SVG)",
)
@click.option("--json", "as_json", is_flag=True, help="print the scores as JSON")
def evaluate_command(
    run_dirs: tuple[Path, ...],
    truths: tuple[Path, ...],
    chunkers: tuple[str, ...],
    tolerance: float,
    plot: Path,
    as_json: bool,
) -> None:
    """Compare chunkers on run folders: boundary F1, coherence, chunk count, tokens per chunk."""
    from halo_core import atomic_write_text

    from . import evaluate

    scores = evaluate.evaluate(list(run_dirs), list(truths), list(chunkers), tolerance)
    atomic_write_text(plot, evaluate.plot_svg(scores))
    click.echo(evaluate.as_json(scores) if as_json else evaluate.table(scores))
    click.echo(f"plot: {plot}", err=True)
