"""Imitation of the teacher (`oracle.Oracle`) by DAgger: the warm start of the shipped policy.

Round 0 walks every training timeline the teacher's way and records, at each candidate, what the
policy saw and how much cutting there is worth (the teacher's advantage). Later rounds walk the
timelines the learner's own way (mixed with the teacher's, less each round), so the learner also
learns to recover from the states its own mistakes lead to — which the teacher never visits. After
each round the policy MLP is fitted again on everything recorded so far: a cross-entropy per state,
weighted by how much the choice matters there. Each walk draws its own limits around the shipped
ones, so the policy copes with a `min_duration`/`max_duration`/`max_tokens` override. The round
with the best boundary F1 on held-out synthetic timelines is kept.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from halo_core import boundary_f1

from .env import OBSERVATION, Limits, Walk
from .episode import Episode
from .oracle import Oracle
from .policy import Policy

HIDDEN = (32, 32)
WEIGHT_CAP = 2.0
"""A state's weight is its advantage, capped: a few make-or-break states must not drown the rest."""


@dataclass(frozen=True)
class Imitation:
    policy: Policy
    scores: list[float]
    """Mean validation boundary F1 after each round."""
    best_round: int


def draw_limits(rng: random.Random, around: Limits) -> Limits:
    """Limits near `around` (from 3/4 to twice the durations and tokens)."""
    return Limits(
        min_duration=around.min_duration * rng.uniform(0.75, 1.5),
        max_duration=around.max_duration * rng.uniform(0.75, 2.0),
        max_tokens=round(around.max_tokens * rng.uniform(0.75, 2.0)),
    )


def walk_with(policy: Callable[[np.ndarray], bool], episode: Episode, limits: Limits) -> Walk:
    walk = Walk(episode, limits)
    while not walk.done:
        walk.step(policy(walk.observation()))
    return walk


def boundary_score(policy: Policy, episodes: list[Episode], limits: Limits) -> float:
    """Mean boundary F1 (±5 s) of the policy's cuts against the episodes' truth."""
    scores = []
    for episode in episodes:
        assert episode.truth is not None
        walk = walk_with(policy.wants_cut, episode, limits)
        scores.append(boundary_f1(walk.cut_times(), list(episode.truth), 5.0)[2])
    return float(np.mean(scores))


def record(
    episode: Episode,
    limits: Limits,
    learner: Policy | None,
    teacher_share: float,
    rng: random.Random,
) -> tuple[list[np.ndarray], list[float]]:
    """One walk (each step the teacher's with probability `teacher_share`, else the learner's):
    the observation and the teacher's advantage at every state where the choice matters."""
    oracle = Oracle.build(episode, limits)
    walk = Walk(episode, limits)
    observations, advantages = [], []
    while not walk.done:
        observation = walk.observation()
        advantage = oracle.advantage(walk)
        if advantage:
            observations.append(observation)
            advantages.append(advantage)
        teacher = learner is None or rng.random() < teacher_share
        walk.step(advantage > 0 if teacher else learner.wants_cut(observation))
    return observations, advantages


def fit(
    observations: np.ndarray,
    advantages: np.ndarray,
    start: Policy | None,
    seed: int,
    epochs: int = 12,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The MLP's layers fitted to cut where the advantage is positive, weighted by its size."""
    import torch

    torch.manual_seed(seed)
    sizes = [len(OBSERVATION), *HIDDEN, 2]
    layers = [torch.nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])]
    if start is not None:
        with torch.no_grad():
            for layer, (weight, bias) in zip(layers, start.layers):
                layer.weight.copy_(torch.from_numpy(weight))
                layer.bias.copy_(torch.from_numpy(bias))
    modules: list[torch.nn.Module] = []
    for layer in layers[:-1]:
        modules += [layer, torch.nn.Tanh()]
    model = torch.nn.Sequential(*modules, layers[-1])
    x = torch.from_numpy(observations.astype(np.float32))
    y = torch.from_numpy((advantages > 0).astype(np.int64))
    w = torch.from_numpy(np.minimum(np.abs(advantages), WEIGHT_CAP).astype(np.float32))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        for batch in order.split(512):
            loss = torch.nn.functional.cross_entropy(model(x[batch]), y[batch], reduction="none")
            optimizer.zero_grad()
            (loss * w[batch]).sum().div(w[batch].sum()).backward()
            optimizer.step()
    return [
        (layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy())
        for layer in layers
    ]


def imitate(
    episodes: list[Episode],
    validation: list[Episode],
    *,
    limits: Limits,
    rounds: int,
    seed: int,
    meta: dict,
    on_round: Callable[[int, float], None] | None = None,
) -> Imitation:
    """DAgger for `rounds` rounds; returns the policy of the round that scores best on
    `validation` (boundary F1 under the shipped `limits`)."""
    import torch

    torch.set_num_threads(1)  # a 2x32 MLP: more threads only add contention, and break determinism
    rng = random.Random(seed)
    observations: list[np.ndarray] = []
    advantages: list[float] = []
    learner: Policy | None = None
    best: tuple[float, int, Policy] | None = None
    scores = []
    for round_ in range(rounds):
        for episode in episodes:
            seen, worth = record(episode, draw_limits(rng, limits), learner, 0.5**round_, rng)
            observations += seen
            advantages += worth
        layers = fit(np.array(observations), np.array(advantages), learner, seed + round_)
        learner = Policy(layers, {**meta, "observation": list(OBSERVATION), "round": round_})
        score = boundary_score(learner, validation, limits)
        scores.append(score)
        if on_round is not None:
            on_round(round_, score)
        if best is None or score > best[0]:
            best = (score, round_, learner)
    assert best is not None
    return Imitation(best[2], scores, best[1])
