"""Training: imitation of the teacher (DAgger, `imitate`), then PPO (stable-baselines3) on the
truth-based reward, on synthetic timelines and on the timelines of runs of generated lectures.

Training is reproducible for a given seed (seeded generators, single-threaded torch). Each stage's
policy is scored by boundary F1 on held-out synthetic timelines; the best one is kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from halo_core import HaloError

from . import synthetic
from .env import Limits, RewardWeights, Walk, make_env, walk_reward
from .episode import EmbedTexts, Episode, episode_from_timeline, tfidf_vectors
from .evaluate import load_timeline, truth_boundaries, truth_file
from .imitate import boundary_score, imitate
from .policy import Policy, from_stable_baselines, into_stable_baselines


@dataclass(frozen=True)
class TrainingResult:
    policy: Policy
    wall_s: float
    imitation_f1: list[float]
    """Validation boundary F1 after each imitation round."""
    ppo_f1: float | None
    """Validation boundary F1 after PPO (None: no PPO steps)."""
    kept: str
    """Which stage's policy was kept: `imitation` or `ppo`."""


VALIDATION_SEED = 1_000_000
"""Seeds of the synthetic timelines that choose between imitation rounds and PPO: far from any
training seed."""


def synthetic_episodes(count: int, seed: int, embed: EmbedTexts = tfidf_vectors) -> list[Episode]:
    """Episodes of synthetic lectures `seed`, `seed + 1`, ..., with their true boundaries."""
    episodes = []
    for i in range(count):
        lecture = synthetic.generate(seed + i)
        episodes.append(episode_from_timeline(lecture.timeline, embed, lecture.topic_starts))
    return episodes


def run_folder_episodes(
    run_dirs: Iterable[Path], embed: EmbedTexts = tfidf_vectors
) -> list[Episode]:
    """Episodes from the timeline.json of finished `halo run` folders, each with the topic truth
    of its video (a truth.json in the run folder or beside the video, as make_lecture.py
    writes)."""
    episodes = []
    for run_dir in run_dirs:
        truth = truth_file(Path(run_dir))
        episodes.append(
            episode_from_timeline(load_timeline(Path(run_dir)), embed, truth_boundaries(truth))
        )
    return episodes


def mean_reward(
    policy: Callable[[np.ndarray], bool],
    episodes: list[Episode],
    limits: Limits,
    weights: RewardWeights,
) -> float:
    totals = []
    for episode in episodes:
        walk = Walk(episode, limits)
        while not walk.done:
            walk.step(policy(walk.observation()))
        totals.append(walk_reward(walk, weights))
    return float(np.mean(totals)) if totals else 0.0


def train(
    episodes: list[Episode],
    validation: list[Episode],
    *,
    limits: Limits,
    weights: RewardWeights,
    rounds: int,
    ppo_steps: int,
    seed: int = 0,
    on_progress: Callable[[str], None] | None = None,
) -> TrainingResult:
    """Imitation for `rounds` rounds, then `ppo_steps` of PPO from the imitated policy; keeps the
    stage whose policy has the best validation boundary F1 (PPO only when it is strictly better)."""
    if not any(e.size for e in episodes):
        raise HaloError(
            "no candidate boundaries in the training timelines",
            fix="train on timelines with a transcript (or use --synthetic N)",
        )
    report = on_progress or (lambda message: None)
    started = time.perf_counter()
    meta: dict[str, Any] = {
        "limits": limits.model_dump(),
        "weights": weights.model_dump(),
        "seed": seed,
        "episodes": len(episodes),
        "rounds": rounds,
        "ppo_steps": ppo_steps,
    }
    imitation = imitate(
        episodes,
        validation,
        limits=limits,
        rounds=rounds,
        seed=seed,
        meta=meta,
        on_round=lambda r, f1: report(f"imitation round {r}: validation F1 {f1:.3f}"),
    )
    policy, kept, ppo_f1 = imitation.policy, "imitation", None
    if ppo_steps:
        tuned = fine_tune(
            imitation.policy, episodes, limits=limits, weights=weights, steps=ppo_steps, seed=seed
        )
        ppo_f1 = boundary_score(tuned, validation, limits)
        report(f"ppo {ppo_steps} steps: validation F1 {ppo_f1:.3f}")
        if ppo_f1 > imitation.scores[imitation.best_round]:
            policy, kept = tuned, "ppo"
    policy = Policy(policy.layers, {**policy.meta, "kept": kept})
    return TrainingResult(policy, time.perf_counter() - started, imitation.scores, ppo_f1, kept)


def fine_tune(
    start: Policy,
    episodes: list[Episode],
    *,
    limits: Limits,
    weights: RewardWeights,
    steps: int,
    seed: int = 0,
) -> Policy:
    """PPO on the truth-based reward, its actor starting from `start` (its critic from scratch,
    so the learning rate and clip range are small: the first updates must not undo the start)."""
    import torch
    from stable_baselines3 import PPO

    torch.set_num_threads(1)  # a 2x32 MLP: more threads only add contention, and break determinism
    model = PPO(
        "MlpPolicy",
        make_env(episodes, limits, weights, seed=seed),
        seed=seed,
        device="cpu",
        n_steps=2048,
        batch_size=256,
        n_epochs=4,
        learning_rate=1e-4,
        clip_range=0.1,
        gamma=0.98,
        ent_coef=0.0,
        policy_kwargs={"net_arch": {"pi": [32, 32], "vf": [32, 32]}},
        verbose=0,
    )
    into_stable_baselines(start, model)
    model.learn(total_timesteps=steps)
    return from_stable_baselines(model, {**start.meta, "ppo_steps": steps})
