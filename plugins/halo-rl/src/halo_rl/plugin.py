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
    default=192,
    show_default=True,
    help="train on N generated synthetic timelines",
)
@click.option(
    "--from",
    "run_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="also train on the timeline of this `halo run` folder of a generated lecture (its "
    "truth.json in the folder or beside the video; repeatable)",
)
@click.option(
    "--from-repeat",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="walk each --from timeline this many times per imitation round (each time under other "
    "limits): a few real timelines against many synthetic ones",
)
@click.option(
    "--rounds",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="imitation (DAgger) rounds",
)
@click.option(
    "--ppo-steps",
    type=click.IntRange(min=0),
    default=30_000,
    show_default=True,
    help="PPO steps after imitation (kept only if it raises validation F1; 0: none)",
)
@click.option(
    "--validation",
    "validation_count",
    type=click.IntRange(min=1),
    default=48,
    show_default=True,
    help="held-out synthetic timelines that choose between imitation rounds and PPO",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--embedder",
    default="tfidf",
    show_default=True,
    help="embedder for the semantic observations",
)
@click.option("--min-duration", type=float, default=20.0, show_default=True)
@click.option("--max-duration", type=float, default=120.0, show_default=True)
@click.option("--max-tokens", type=int, default=1500, show_default=True)
def train(
    out: Path,
    synthetic_count: int,
    run_dirs: tuple[Path, ...],
    from_repeat: int,
    rounds: int,
    ppo_steps: int,
    validation_count: int,
    seed: int,
    embedder: str,
    min_duration: float,
    max_duration: float,
    max_tokens: int,
) -> None:
    """Train a policy: imitate the best cuts, then PPO; reproducible for a given seed."""
    from .env import Limits, RewardWeights
    from .episode import text_embedding
    from .train import VALIDATION_SEED, run_folder_episodes, synthetic_episodes
    from .train import train as train_policy

    embed = text_embedding(embedder)
    episodes = synthetic_episodes(synthetic_count, seed, embed)
    episodes += run_folder_episodes(run_dirs, embed) * from_repeat
    validation = synthetic_episodes(validation_count, VALIDATION_SEED, embed)
    limits = Limits(min_duration=min_duration, max_duration=max_duration, max_tokens=max_tokens)
    click.echo(
        f"training on {len(episodes)} timelines ({sum(e.size for e in episodes)} candidate "
        f"boundaries): {rounds} imitation round(s), then {ppo_steps} PPO steps",
        err=True,
    )
    result = train_policy(
        episodes,
        validation,
        limits=limits,
        weights=RewardWeights(),
        rounds=rounds,
        ppo_steps=ppo_steps,
        seed=seed,
        on_progress=lambda message: click.echo(f"  {message}", err=True),
    )
    result.policy.save(out)
    click.echo(
        f"wrote {out} ({result.kept}, {out.stat().st_size / 1024:.1f} KB) "
        f"in {result.wall_s:.0f} s; validation F1 by imitation round: "
        + ", ".join(f"{f1:.3f}" for f1 in result.imitation_f1)
        + (f"; after PPO: {result.ppo_f1:.3f}" if result.ppo_f1 is not None else "")
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
@click.option(
    "--policy",
    default="bundled",
    show_default=True,
    help="the `ppo` chunker's policy: `bundled` or a file written by `halo rl train`",
)
@click.option("--json", "as_json", is_flag=True, help="print the scores as JSON")
def evaluate_command(
    run_dirs: tuple[Path, ...],
    truths: tuple[Path, ...],
    chunkers: tuple[str, ...],
    tolerance: float,
    plot: Path,
    policy: str,
    as_json: bool,
) -> None:
    """Compare chunkers on run folders: boundary F1, coherence, chunk count, tokens per chunk."""
    from halo_core import atomic_write_text

    from . import evaluate

    scores = evaluate.evaluate(
        list(run_dirs), list(truths), list(chunkers), tolerance, policy=policy
    )
    atomic_write_text(plot, evaluate.plot_svg(scores))
    click.echo(evaluate.as_json(scores) if as_json else evaluate.table(scores))
    click.echo(f"plot: {plot}", err=True)


@rl.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
def pack(run_dir: Path, out_dir: Path) -> None:
    """Keep a run of a generated lecture as training data: OUT_DIR gets its timeline (word
    timings dropped: tens of KB instead of hundreds) and its topic truth, which `--from` reads."""
    from halo_core import atomic_write_json, atomic_write_text

    from .evaluate import load_timeline, truth_boundaries, truth_file

    timeline = load_timeline(run_dir)
    transcript = [s.model_copy(update={"words": []}) for s in timeline.track("transcript")]
    timeline = timeline.with_track("transcript", transcript)
    starts = [0.0, *truth_boundaries(truth_file(run_dir))]
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "timeline.json", timeline.model_dump_json(exclude_none=True))
    atomic_write_json(out_dir / "truth.json", {"topics": [{"start": s} for s in starts]})
    click.echo(f"wrote {out_dir}")
