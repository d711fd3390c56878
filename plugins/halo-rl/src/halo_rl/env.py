"""The decision process: walk an episode's candidates in time order, cut or don't cut at each.

`Walk` holds the rules both training and the chunker obey (no cut before `min_duration`, a forced
cut before `max_duration` or `max_tokens` would be passed), so the policy only ever proposes.
`ChunkingEnv` wraps walks of many episodes as a gymnasium environment whose reward needs no ground
truth: within-chunk semantic coherence, minus penalties for fragmentation, for breaking the
limits, and for the token cost of large chunks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from .episode import Episode, cosine

OBSERVATION = (
    "scene",
    "speaker",
    "topic",
    "pause",
    "semantic_shift",
    "misfit_next",
    "elapsed",
    "tokens",
    "below_min",
    "remaining",
    "scene_ahead",
    "topic_ahead",
    "pause_ahead",
)


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_duration: float = Field(default=20.0, ge=0, description="shortest chunk, seconds")
    max_duration: float = Field(default=120.0, gt=0, description="longest chunk, seconds")
    max_tokens: int = Field(default=1500, gt=0, description="most tokens in a chunk")


class RewardWeights(BaseModel):
    model_config = ConfigDict(extra="forbid")
    coherence: float = Field(default=1.0, description="per span: cosine to its chunk's centroid")
    fragmentation: float = Field(default=2.0, description="per chunk")
    limit_violation: float = Field(default=3.0, description="per cut refused or forced by a limit")
    token_cost: float = Field(default=1.0, description="per chunk: (tokens / max_tokens) ** 2")


@dataclass
class Walk:
    """One pass over an episode's candidates under the limits; records cuts and violations."""

    episode: Episode
    limits: Limits
    position: int = 0
    last_cut: float = 0.0
    first_span: int = 0
    cuts: list[int] = field(default_factory=list)
    forced: dict[int, str] = field(default_factory=dict)
    """Cuts a limit made necessary, with the limit (`max_duration` or `max_tokens`)."""
    refused: int = 0
    """Proposed cuts refused because a chunk would be shorter than `min_duration`."""
    overridden: int = 0
    """Cuts forced where the policy proposed none."""

    @property
    def violations(self) -> int:
        return self.refused + self.overridden

    @property
    def done(self) -> bool:
        return self.position >= self.episode.size

    def _open_tokens(self, through_span: int) -> float:
        return float(self.episode.span_tokens[self.first_span : through_span + 1].sum())

    def observation(self) -> np.ndarray:
        e, i, lim = self.episode, self.position, self.limits
        t = e.times[i]
        centroid = e.span_vectors[self.first_span : i + 1].sum(axis=0)
        upcoming = e.span_vectors[i + 1 : i + 3].sum(axis=0)
        misfit = 1.0 - max(cosine(centroid, upcoming), 0.0)
        return np.array(
            [
                *e.evidence[i],
                e.semantic_shift(i),
                misfit,
                min((t - self.last_cut) / lim.max_duration, 1.0),
                min(self._open_tokens(i) / lim.max_tokens, 1.0),
                float(t - self.last_cut < lim.min_duration),
                min((e.duration - t) / lim.max_duration, 1.0),
                *self._evidence_ahead(t),
            ],
            dtype=np.float32,
        )

    def _evidence_ahead(self, t: float) -> np.ndarray:
        """The strongest scene, topic and pause evidence at the candidates of the next
        `min_duration` seconds: whether waiting for a better place to cut is possible."""
        e = self.episode
        start = self.position + 1
        stop = int(np.searchsorted(e.times, t + max(self.limits.min_duration, 1.0), side="right"))
        if stop <= start:
            return np.zeros(3, dtype=np.float32)
        return e.evidence[start:stop][:, [0, 2, 3]].max(axis=0)

    def step(self, wants_cut: bool) -> tuple[int, int] | None:
        """Apply the proposal at the current candidate; return the closed chunk's spans, if any."""
        e, i, lim = self.episode, self.position, self.limits
        t = e.times[i]
        next_end = e.times[i + 1] if i + 1 < e.size else e.duration
        over_time = next_end - self.last_cut > lim.max_duration
        over_tokens = self._open_tokens(i + 1) > lim.max_tokens
        must = over_time or over_tokens
        allowed = t - self.last_cut >= lim.min_duration and e.duration - t >= lim.min_duration
        cut = (wants_cut and allowed) or must
        if must:
            self.forced[i] = "max_duration" if over_time else "max_tokens"
            self.overridden += not wants_cut
        elif wants_cut and not allowed:
            self.refused += 1
        self.position += 1
        if not cut:
            return None
        closed = (self.first_span, i)
        self.cuts.append(i)
        self.last_cut, self.first_span = t, i + 1
        return closed

    def finish(self) -> tuple[int, int]:
        return self.first_span, self.episode.size

    def cut_times(self) -> list[float]:
        return [float(self.episode.times[i]) for i in self.cuts]


def chunk_reward(
    episode: Episode, spans: tuple[int, int], limits: Limits, weights: RewardWeights
) -> float:
    first, last = spans
    vectors = episode.span_vectors[first : last + 1]
    centroid = vectors.sum(axis=0)
    norm = float(np.linalg.norm(centroid))
    coherence = float((vectors @ centroid).sum()) / norm if norm > 0 else 0.0
    tokens = float(episode.span_tokens[first : last + 1].sum())
    return (
        weights.coherence * coherence
        - weights.fragmentation
        - weights.token_cost * (tokens / limits.max_tokens) ** 2
    )


def walk_reward(walk: Walk, weights: RewardWeights) -> float:
    """The total reward of a finished walk (what an episode of the environment sums to)."""
    spans, first = [], 0
    for i in walk.cuts:
        spans.append((first, i))
        first = i + 1
    spans.append(walk.finish())
    total = sum(chunk_reward(walk.episode, s, walk.limits, weights) for s in spans)
    return total - weights.limit_violation * walk.violations


def make_env(episodes: list[Episode], limits: Limits, weights: RewardWeights, seed: int = 0):
    """A gymnasium environment over `episodes` (imported here: training needs gymnasium)."""
    import gymnasium as gym

    class ChunkingEnv(gym.Env):
        observation_space = gym.spaces.Box(0.0, 1.0, shape=(len(OBSERVATION),), dtype=np.float32)
        action_space = gym.spaces.Discrete(2)

        def __init__(self) -> None:
            self._rng = random.Random(seed)
            self._walk: Walk | None = None

        def reset(self, *, seed: int | None = None, options: dict | None = None):
            super().reset(seed=seed)
            if seed is not None:
                self._rng.seed(seed)
            playable = [e for e in episodes if e.size > 0]
            self._walk = Walk(self._rng.choice(playable), limits)
            return self._walk.observation(), {}

        def step(self, action: int):
            walk = self._walk
            assert walk is not None
            violations = walk.violations
            closed = walk.step(bool(action))
            reward = -weights.limit_violation * (walk.violations - violations)
            if closed is not None:
                reward += chunk_reward(walk.episode, closed, limits, weights)
            if walk.done:
                reward += chunk_reward(walk.episode, walk.finish(), limits, weights)
                return np.zeros(len(OBSERVATION), dtype=np.float32), reward, True, False, {}
            return walk.observation(), reward, False, False, {}

    return ChunkingEnv()
