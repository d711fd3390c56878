"""Chunker `ppo`: a learned policy proposes cuts; the limits and the chunk contract are enforced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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

from .env import Limits, Walk
from .episode import EVIDENCE, Episode, episode_from_timeline, text_embedding
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
    version = "1"
    Config = PPOChunkerConfig
    description = "A PPO policy that learned where to cut from within-chunk coherence and costs."

    def check(self) -> list[str]:
        path = policy_path(self.config.policy)
        if not path.is_file():
            return [
                f"ppo policy file {path} not found; use `policy: bundled` or train one with "
                f"`halo rl train --out {path}`"
            ]
        return []

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
        while not walk.done:
            walk.step(policy.wants_cut(walk.observation()))
            ctx.progress(float(episode.times[walk.position - 1]), media.duration)
        reasons = {float(episode.times[i]): self._reasons(episode, walk, i) for i in walk.cuts}
        return build_chunks(timeline, media.duration, walk.cut_times(), reasons)

    @staticmethod
    def _reasons(episode: Episode, walk: Walk, index: int) -> list[BoundaryReason]:
        found = [
            BoundaryReason(kind=kind, score=float(score))
            for kind, score in zip(EVIDENCE, episode.evidence[index])
            if score > 0
        ]
        if index in walk.forced:
            found.append(
                BoundaryReason(
                    kind=walk.forced[index],
                    score=1.0,  # type: ignore[arg-type]
                    detail="the next stretch of speech would pass the limit",
                )
            )
        if not found:  # the policy cut on what the speech says alone
            found.append(
                BoundaryReason(
                    kind="topic",
                    score=episode.semantic_shift(index),
                    detail="semantic shift seen by the ppo policy",
                )
            )
        return found
