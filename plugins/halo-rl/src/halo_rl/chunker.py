"""Chunker `ppo`: a learned policy proposes cuts; the limits and the chunk contract are enforced."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from halo_core import (
    BoundaryReason,
    Chunk,
    Chunker,
    ComponentConfig,
    Media,
    ModelCache,
    RunContext,
    Timeline,
    build_chunks,
)

from .env import OBSERVATION, Limits, Walk
from .episode import episode_from_timeline, text_embedding
from .policy import BUNDLED_POLICY, Policy


class PPOChunkerConfig(ComponentConfig):
    policy: str = Field(
        default="bundled",
        description="`bundled` (ships with halo-rl) or the path of a `halo rl train` file",
    )
    min_duration: float | None = Field(
        default=None, ge=0, description="shortest chunk, s (default: the policy's)"
    )
    max_duration: float | None = Field(
        default=None, gt=0, description="longest chunk, s (default: the policy's)"
    )
    max_tokens: int | None = Field(
        default=None, gt=0, description="most tokens in a chunk (default: the policy's)"
    )
    embedder: str = Field(
        default="tfidf",
        description="`tfidf` (fitted on the timeline) or a registered embedder, for the "
        "semantic observations",
    )
    embedder_options: dict[str, Any] = Field(default_factory=dict)


_policies: ModelCache[Path, Policy] = ModelCache()


def load_policy(path: Path) -> Policy:
    return _policies.get(path, lambda: Policy.load(path))


def policy_path(setting: str) -> Path:
    return BUNDLED_POLICY if setting == "bundled" else Path(setting).expanduser()


class PPOChunker(Chunker[PPOChunkerConfig]):
    name = "ppo"
    version = "3"  # 3: chunk text keeps the words' spacing, no cut inside a word
    Config = PPOChunkerConfig
    description = (
        "a small learned policy (imitation of the best cuts on synthetic lectures, then PPO) "
        "proposes cuts; the limits are enforced"
    )

    def check(self) -> list[str]:
        path = policy_path(self.config.policy)
        if not path.is_file():
            return [
                f"ppo policy file {path} not found; use `policy: bundled` or train one with "
                f"`halo rl train --out {path}`"
            ]
        return []

    def identity(self) -> dict[str, Any]:
        """The policy file's content is part of what the chunks are: a retrained policy (or a
        file replaced in place) must not reuse chunks cut by the old one."""
        path = policy_path(self.config.policy)
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
        return {**super().identity(), "policy_sha256": digest}

    def limits(self, policy: Policy) -> Limits:
        overrides = {
            k: v
            for k in ("min_duration", "max_duration", "max_tokens")
            if (v := getattr(self.config, k)) is not None
        }
        return policy.limits.model_copy(update=overrides)

    def chunk(self, timeline: Timeline, media: Media, ctx: RunContext) -> list[Chunk]:
        policy = load_policy(policy_path(self.config.policy))
        timeline = timeline.model_copy(update={"duration": media.duration})
        episode = episode_from_timeline(
            timeline, text_embedding(self.config.embedder, self.config.embedder_options)
        )
        walk = Walk(episode, self.limits(policy))
        observations = []
        while not walk.done:
            observations.append(walk.observation())
            walk.step(policy.wants_cut(observations[-1]))
            ctx.progress(float(episode.times[walk.position - 1]), media.duration)
        reasons = {}
        seen = np.array(observations).reshape(len(observations), len(OBSERVATION))
        passed = np.delete(seen, walk.cuts, axis=0)
        # "raised the margin" means: compared with a typical candidate the policy passed over
        baseline = passed.mean(axis=0) if len(passed) else np.zeros(len(OBSERVATION))
        for i in walk.cuts:
            found = explain(policy.contributions(seen[i], baseline), seen[i])
            if i in walk.forced:
                found.append(
                    BoundaryReason(
                        kind=walk.forced[i],  # type: ignore[arg-type]
                        score=1.0,
                        detail="the next stretch of speech would pass the limit",
                    )
                )
            reasons[float(episode.times[i])] = found
        return build_chunks(timeline, media.duration, walk.cut_times(), reasons)


REASON_KIND = {
    "scene": "scene",
    "speaker": "speaker",
    "topic": "topic",
    "pause": "pause",
    "semantic_shift": "topic",
    "wide_shift": "topic",
    "pause_rank": "pause",
    "shift_rank": "topic",
    "misfit_next": "topic",
    "elapsed": "max_duration",
    "tokens": "max_tokens",
    "below_min": "max_duration",
    "remaining": "max_duration",
    "scene_near": "scene",
    "topic_near": "topic",
    "pause_rank_near": "pause",
    "shift_rank_near": "topic",
    "scene_ahead": "scene",
    "topic_ahead": "topic",
    "pause_rank_ahead": "pause",
    "shift_rank_ahead": "topic",
}
"""The kind of evidence each observation feature is (`elapsed`: the chunk's length so far)."""


def explain(contributions: np.ndarray, observation: np.ndarray) -> list[BoundaryReason]:
    """Why the policy cut: one reason per kind of evidence that raised the cut's logit margin
    (see `Policy.contributions`), strongest first; its score is its share of everything that
    raised the margin, its detail the features with their values and contributions."""
    raised = {name: float(c) for name, c in zip(OBSERVATION, contributions) if c > RAISED}
    if not raised:  # nothing stands out: name the feature that pushed most anyway
        top = int(np.argmax(contributions))
        raised = {OBSERVATION[top]: max(float(contributions[top]), 1e-6)}
    total = sum(raised.values())
    by_kind: dict[str, list[str]] = {}
    share: dict[str, float] = {}
    for name, c in sorted(raised.items(), key=lambda item: -item[1]):
        kind = REASON_KIND[name]
        value = observation[OBSERVATION.index(name)]
        by_kind.setdefault(kind, []).append(f"{name}={value:.2f} (+{c:.2f})")
        share[kind] = share.get(kind, 0.0) + c / total
    return [
        BoundaryReason(
            kind=kind,  # type: ignore[arg-type]
            score=round(min(share[kind], 1.0), 4),
            detail="ppo policy, feature=value (+ cut logit): " + ", ".join(features),
        )
        for kind, features in sorted(by_kind.items(), key=lambda item: -share[item[0]])
    ]


RAISED = 0.05
"""Smallest contribution to the cut's logit margin worth reporting."""
