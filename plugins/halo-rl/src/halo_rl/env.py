"""The decision process: walk an episode's candidates in time order, cut or don't cut at each.

`Walk` holds the rules both training and the chunker obey (no cut before `min_duration`, a forced
cut before `max_duration` or `max_tokens` would be passed), so the policy only ever proposes.
`ChunkingEnv` wraps walks of many episodes as a gymnasium environment for PPO. Its reward: per cut,
its agreement with the true boundaries (`Episode.truth_gains`, on timelines that have them); per
chunk, within-chunk semantic coherence minus a fragmentation cost and the token cost of large
chunks; per cut a limit refused or forced, a penalty.
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
    "wide_shift",
    "pause_rank",
    "shift_rank",
    "misfit_next",
    "elapsed",
    "tokens",
    "below_min",
    "remaining",
    "scene_near",
    "topic_near",
    "pause_rank_near",
    "shift_rank_near",
    "scene_ahead",
    "topic_ahead",
    "pause_rank_ahead",
    "shift_rank_ahead",
)
"""What the policy sees at a candidate, each in [0, 1]: the evidence there (the `candidates`
features, the semantic shift over two and five spans each side, the pause and the wide shift as
ranks within the timeline, how badly the next speech fits the open chunk); the open chunk's length
and tokens against the limits, whether a cut is still refused, the time left; and the strongest
evidence at the candidates of the next few seconds (`_near`, a better place for this cut) and of
the next `min_duration` (`_ahead`, a better place to wait for)."""
NEAR_SECONDS = 4.0
AHEAD_FEATURES = 4  # scene, topic, pause rank, shift rank


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_duration: float = Field(default=20.0, ge=0, description="shortest chunk, seconds")
    max_duration: float = Field(default=120.0, gt=0, description="longest chunk, seconds")
    max_tokens: int = Field(default=1500, gt=0, description="most tokens in a chunk")


class RewardWeights(BaseModel):
    """The truth term leads; the ground-truth-free terms (whose own optimum reached only boundary
    F1 0.77) are kept small, as tie-breakers and for timelines without truth."""

    model_config = ConfigDict(extra="forbid")
    boundary: float = Field(default=1.0, description="per cut: its gain against the truth")
    coherence: float = Field(default=0.05, description="per span: cosine to its chunk's centroid")
    fragmentation: float = Field(default=0.1, description="per chunk")
    limit_violation: float = Field(default=0.5, description="per cut refused or forced by a limit")
    token_cost: float = Field(default=0.2, description="per chunk: (tokens / max_tokens) ** 2")


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
                e.shifts[i],
                e.wide_shifts[i],
                e.pause_ranks[i],
                e.shift_ranks[i],
                misfit,
                min((t - self.last_cut) / lim.max_duration, 1.0),
                min(self._open_tokens(i) / lim.max_tokens, 1.0),
                float(t - self.last_cut < lim.min_duration),
                min((e.duration - t) / lim.max_duration, 1.0),
                *self._evidence_ahead(t, NEAR_SECONDS),
                *self._evidence_ahead(t, max(self.limits.min_duration, NEAR_SECONDS)),
            ],
            dtype=np.float32,
        )

    def _evidence_ahead(self, t: float, seconds: float) -> np.ndarray:
        """The strongest scene, topic, pause-rank and shift-rank evidence at the candidates of
        the next `seconds`: whether a better place to cut is coming."""
        e = self.episode
        start = self.position + 1
        stop = int(np.searchsorted(e.times, t + seconds, side="right"))
        if stop <= start:
            return np.zeros(AHEAD_FEATURES, dtype=np.float32)
        return np.array(
            [
                e.evidence[start:stop, 0].max(),
                e.evidence[start:stop, 2].max(),
                e.pause_ranks[start:stop].max(),
                e.shift_ranks[start:stop].max(),
            ],
            dtype=np.float32,
        )

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


def cut_reward(episode: Episode, index: int, weights: RewardWeights) -> float:
    """What a cut at candidate `index` earns against the truth (0 without truth)."""
    if episode.truth is None or not weights.boundary:
        return 0.0
    return weights.boundary * float(episode.truth_gains[index])


def walk_reward(walk: Walk, weights: RewardWeights) -> float:
    """The total reward of a finished walk (what an episode of the environment sums to)."""
    spans, first = [], 0
    for i in walk.cuts:
        spans.append((first, i))
        first = i + 1
    spans.append(walk.finish())
    total = sum(chunk_reward(walk.episode, s, walk.limits, weights) for s in spans)
    total += sum(cut_reward(walk.episode, i, weights) for i in walk.cuts)
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
                reward += cut_reward(walk.episode, closed[1], weights)
            if walk.done:
                reward += chunk_reward(walk.episode, walk.finish(), limits, weights)
                return np.zeros(len(OBSERVATION), dtype=np.float32), reward, True, False, {}
            return walk.observation(), reward, False, False, {}

    return ChunkingEnv()
