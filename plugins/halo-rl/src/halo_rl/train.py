"""Training: PPO (stable-baselines3) on episodes from synthetic or real timelines."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from halo_core import HaloError, Timeline

from . import synthetic
from .env import Limits, RewardWeights, Walk, make_env, walk_reward
from .episode import EmbedTexts, Episode, episode_from_timeline, tfidf_vectors
from .policy import Policy, from_stable_baselines


@dataclass(frozen=True)
class TrainingResult:
    policy: Policy
    wall_s: float
    steps: int
    reward_before: float
    """Mean episode reward of the untrained (initial) policy on the training episodes."""
    reward_after: float


VALIDATION_SEED = 1_000_000
"""Seeds of the synthetic timelines that choose between restarts: far from any training seed."""


def synthetic_episodes(count: int, seed: int, embed: EmbedTexts = tfidf_vectors) -> list[Episode]:
    return [
        episode_from_timeline(synthetic.generate(seed + i).timeline, embed) for i in range(count)
    ]


def run_folder_episodes(
    run_dirs: Iterable[Path], embed: EmbedTexts = tfidf_vectors
) -> list[Episode]:
    """Episodes from the timeline.json of finished `halo run` folders."""
    episodes = []
    for run_dir in run_dirs:
        path = Path(run_dir) / "timeline.json"
        if not path.is_file():
            raise HaloError(
                "no timeline.json in this folder",
                where=str(run_dir),
                fix="pass a run folder written by `halo run` (runs/<spec>/<media>)",
            )
        episodes.append(
            episode_from_timeline(Timeline.model_validate_json(path.read_text()), embed)
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
    *,
    limits: Limits,
    weights: RewardWeights,
    steps: int,
    seed: int = 0,
    on_progress: Callable[[int, int], None] | None = None,
) -> TrainingResult:
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback

    if not any(e.size for e in episodes):
        raise HaloError(
            "no candidate boundaries in the training timelines",
            fix="train on timelines with a transcript (or use --synthetic N)",
        )
    started = time.perf_counter()
    torch.set_num_threads(1)  # a 2x32 MLP: more threads only add contention, and break determinism
    model = PPO(
        "MlpPolicy",
        make_env(episodes, limits, weights, seed=seed),
        seed=seed,
        device="cpu",
        n_steps=1024,
        batch_size=256,
        n_epochs=8,
        learning_rate=1e-3,
        gamma=0.98,
        ent_coef=0.01,
        policy_kwargs={"net_arch": {"pi": [32, 32], "vf": [32, 32]}},
        verbose=0,
    )
    meta = {
        "limits": limits.model_dump(),
        "weights": weights.model_dump(),
        "seed": seed,
        "steps": steps,
        "episodes": len(episodes),
    }
    reward_before = mean_reward(
        from_stable_baselines(model, meta).wants_cut, episodes, limits, weights
    )

    class Progress(BaseCallback):
        def _on_step(self) -> bool:
            if on_progress is not None and self.num_timesteps % 1024 == 0:
                on_progress(self.num_timesteps, steps)
            return True

    model.learn(total_timesteps=steps, callback=Progress())
    policy = from_stable_baselines(model, meta)
    reward_after = mean_reward(policy.wants_cut, episodes, limits, weights)
    return TrainingResult(policy, time.perf_counter() - started, steps, reward_before, reward_after)


def train_best_of(
    episodes: list[Episode],
    validation: list[Episode],
    *,
    restarts: int,
    limits: Limits,
    weights: RewardWeights,
    steps: int,
    seed: int = 0,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[TrainingResult, list[float]]:
    """Train with seeds `seed`, `seed + 1`, ...; keep the policy with the best validation reward.

    PPO runs differ a lot from seed to seed on this task; the reward needs no ground truth, so
    held-out synthetic timelines can choose between them honestly.
    """
    results, scores = [], []
    for restart in range(restarts):
        result = train(
            episodes,
            limits=limits,
            weights=weights,
            steps=steps,
            seed=seed + restart,
            on_progress=on_progress,
        )
        results.append(result)
        scores.append(mean_reward(result.policy.wants_cut, validation, limits, weights))
    best = max(range(restarts), key=scores.__getitem__)
    return results[best], scores
