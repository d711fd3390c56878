"""Chunkers `rules` (signal-weighted boundaries chosen by dynamic programming) and `fixed`
(fixed-length windows, the naive baseline)."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field, model_validator

from ..chunking import (
    DEFAULT_LONG_PAUSE,
    DEFAULT_PAUSE_THRESHOLD,
    DEFAULT_WINDOW,
    Candidate,
    Unit,
    build_chunks,
    candidates,
    char_prefix,
    chars_between,
    has_signal,
    tokens_of_chars,
    transcript_units,
    unit_gaps,
)
from ..components import Chunker, ComponentConfig
from ..context import RunContext
from ..hookspecs import Register, hookimpl
from ..model import BoundaryReason, Chunk, Media, Timeline

Signal = Literal["scene", "speaker", "topic", "pause"]
SIGNALS: tuple[Signal, ...] = ("scene", "speaker", "topic", "pause")


class CandidateOptions(ComponentConfig):
    pause_threshold: float = Field(
        default=DEFAULT_PAUSE_THRESHOLD,
        gt=0,
        description="a silence between words at least this long (s) may end a chunk mid-sentence",
    )


class RulesConfig(CandidateOptions):
    window: float = Field(
        default=DEFAULT_WINDOW,
        ge=0,
        description="seconds around a candidate in which a scene cut or topic start counts for it",
    )
    long_pause: float = Field(
        default=DEFAULT_LONG_PAUSE,
        gt=0,
        description="a pause this long (s) counts as full evidence",
    )
    min_duration: float = Field(default=30.0, ge=0, description="shortest chunk (s), when possible")
    max_duration: float = Field(default=300.0, gt=0, description="longest chunk (s), when possible")
    max_tokens: int = Field(
        default=1500, gt=0, description="most estimated transcript tokens per chunk, when possible"
    )
    weights: dict[Signal, float] = Field(
        default={"scene": 0.5, "speaker": 0.5, "topic": 1.5, "pause": 1.0},
        description="weight of each signal in a boundary's score (missing signals are ignored)",
    )
    penalty: float = Field(
        default=0.6,
        ge=0,
        description="cost of each extra chunk, against boundary scores in [0, 1]: a cut is made "
        "where its score beats this (more than half the available evidence agrees), within the "
        "duration and token bounds",
    )

    @model_validator(mode="after")
    def _bounds(self) -> RulesConfig:
        if self.min_duration > self.max_duration:
            raise ValueError(
                f"min_duration ({self.min_duration}) is above max_duration ({self.max_duration})"
            )
        if any(w < 0 for w in self.weights.values()):
            raise ValueError("weights must be >= 0")
        return self


@dataclass
class _Node:
    """A possible chunk edge: 0, a candidate, a fallback point, or the end."""

    time: float
    score: float  # weighted evidence in [0, 1]
    fallback: int  # 0 for real candidates; cost of cutting here when the bounds force it
    units_before: int
    reasons: list[BoundaryReason] = field(default_factory=list)


Tokens = Callable[[_Node, _Node], int]
"""Estimated transcript tokens between two nodes."""


class RulesChunker(Chunker[RulesConfig]):
    """Cuts at the best-evidenced sentence ends and pauses, within duration and token bounds.

    Each candidate's score is the weighted mean of the signals the timeline has (scene cut near,
    speaker change, topic shift near, pause length). Dynamic programming picks the cuts that
    maximise the sum of (score - penalty) over cuts, subject to min/max duration and max tokens.
    When the bounds cannot be met at candidates (a long stretch with no sentence end), the
    fewest extra cuts at word gaps (else anywhere) are added, recorded as `max_duration` /
    `max_tokens`; when they cannot be met at all, the violation is kept as small as possible.
    """

    name = "rules"
    version = "2"  # 2: chunk text keeps the words' spacing, no cut inside a word
    Config = RulesConfig
    description = (
        "boundaries at sentence ends/pauses scored by scene, speaker, topic and pause signals"
    )

    def chunk(self, timeline: Timeline, media: Media, ctx: RunContext) -> list[Chunk]:
        duration = media.duration
        cuts = self.cuts(timeline, duration)
        ctx.progress(duration, duration)
        return build_chunks(
            timeline,
            duration,
            [n.time for n in cuts],
            {n.time: n.reasons for n in cuts},
            {n.time: n.score for n in cuts},
        )

    def cuts(self, timeline: Timeline, duration: float) -> list[_Node]:
        """The chosen interior cuts, each with its reasons."""
        cfg = self.config
        units = transcript_units(timeline)
        prefix = char_prefix(units)
        weights = {s: w for s, w in cfg.weights.items() if w > 0 and has_signal(timeline, s)}
        total = sum(weights.values())

        def tokens(a: _Node, b: _Node) -> int:
            i, j = a.units_before, b.units_before
            return tokens_of_chars(chars_between(units, prefix, i, j))

        nodes = [_Node(0.0, 0.0, 0, 0)]
        found = candidates(timeline, duration, cfg.window, cfg.pause_threshold, cfg.long_pause)
        for c in found:
            features = {"scene": c.scene, "speaker": c.speaker, "topic": c.topic, "pause": c.pause}
            score = sum(w * features[s] for s, w in weights.items()) / total if total else 0.0
            reasons = [
                BoundaryReason(kind=s, score=round(features[s], 4), detail=_detail(s, c))
                for s in SIGNALS
                if features[s] > 0
            ]
            nodes.append(_Node(c.time, score, 0, c.units_before, reasons))
        nodes.append(_Node(duration, 0.0, 0, len(units)))
        nodes = self._with_fallbacks(nodes, units, tokens)
        chosen = self._best_path(nodes, tokens)
        for k, node in enumerate(chosen):
            if node.score < cfg.penalty and not node.fallback:
                # kept only because a bound forced a cut somewhere here: say which
                merged = tokens(
                    chosen[k - 1] if k else nodes[0],
                    chosen[k + 1] if k + 1 < len(chosen) else nodes[-1],
                )
                node.reasons.append(
                    BoundaryReason(
                        kind="max_tokens" if merged > cfg.max_tokens else "max_duration", score=1.0
                    )
                )
        return chosen

    def _with_fallbacks(self, nodes: list[_Node], units: list[Unit], tokens: Tokens) -> list[_Node]:
        """Add cut points inside the spans between candidates that break a duration/token bound."""
        cfg = self.config
        step = max(0.5, min(5.0, cfg.max_duration / 4))
        mids = [u.mid for u in units]
        out: list[_Node] = [nodes[0]]
        for a, b in zip(nodes, nodes[1:], strict=False):
            too_long = b.time - a.time > cfg.max_duration
            too_many = tokens(a, b) > cfg.max_tokens
            if too_long or too_many:
                kind: Literal["max_duration", "max_tokens"] = (
                    "max_duration" if too_long else "max_tokens"
                )
                gaps = unit_gaps(units, a.time, b.time)
                grid = [a.time + step * k for k in range(1, math.ceil((b.time - a.time) / step))]
                points = {t: 1 for t in gaps}
                for t in grid:
                    i = bisect.bisect_right(mids, t)
                    if 0 < i < len(units) and units[i].continues_word:
                        continue  # it would split a written word: " anti" | "-parallel."
                    near = [units[j] for j in (i - 1, i) if 0 <= j < len(units)]
                    inside_unit = any(u.start <= t <= u.end for u in near)
                    points.setdefault(t, 2 if inside_unit else 1)
                for t in sorted(points):
                    detail = (
                        f"no sentence end or pause within {cfg.max_duration:g} s"
                        if too_long
                        else (f"over {cfg.max_tokens} tokens between sentence ends")
                    )
                    out.append(
                        _Node(
                            t,
                            0.0,
                            points[t],
                            bisect.bisect_left(mids, t),
                            [BoundaryReason(kind=kind, score=1.0, detail=detail)],
                        )
                    )
            out.append(b)
        return out

    def _best_path(self, nodes: list[_Node], tokens: Tokens) -> list[_Node]:
        """Interior nodes of the path 0 -> end minimising (violation, fallback cost, -gain)."""
        cfg = self.config
        n = len(nodes)
        inf = (math.inf, math.inf, math.inf)
        best: list[tuple[float, float, float]] = [inf] * n
        back = [0] * n
        best[0] = (0.0, 0.0, 0.0)
        times = [node.time for node in nodes]
        for j in range(1, n):
            first = max(0, bisect.bisect_left(times, times[j] - cfg.max_duration) - 1)
            last_node = j == n - 1
            gain_j = 0.0 if last_node else nodes[j].score - cfg.penalty
            for i in range(first, j):
                if best[i][0] == math.inf:
                    continue
                length = times[j] - times[i]
                violation = (
                    max(0.0, length - cfg.max_duration) / cfg.max_duration
                    + (
                        max(0.0, cfg.min_duration - length) / cfg.min_duration
                        if cfg.min_duration
                        else 0.0
                    )
                    + max(0, tokens(nodes[i], nodes[j]) - cfg.max_tokens) / cfg.max_tokens
                )
                value = (
                    best[i][0] + violation,
                    best[i][1] + nodes[j].fallback,
                    best[i][2] - gain_j,
                )
                if value < best[j]:
                    best[j], back[j] = value, i
        path = []
        j = back[n - 1]
        while j > 0:
            path.append(nodes[j])
            j = back[j]
        return path[::-1]


def _detail(signal: str, c: Candidate) -> str:
    if signal == "pause":
        return f"{c.pause_s:.2f} s pause"
    if signal == "speaker":
        return "speaker change"
    return f"{signal} strength {getattr(c, signal):.2f} nearby"


class FixedConfig(CandidateOptions):
    duration: float = Field(default=60.0, gt=0, description="window length in seconds")
    snap: bool = Field(
        default=True,
        description="move each cut to the nearest sentence end / pause (within half a window) "
        "so words and sentences are not split",
    )


class FixedChunker(Chunker[FixedConfig]):
    """Fixed-length windows: the naive baseline the rules chunker is compared with."""

    name = "fixed"
    version = "2"  # 2: chunk text keeps the words' spacing, no cut inside a word
    Config = FixedConfig
    description = "fixed-length windows, snapped to the nearest sentence end (naive baseline)"

    def chunk(self, timeline: Timeline, media: Media, ctx: RunContext) -> list[Chunk]:
        duration = media.duration
        cfg = self.config
        targets = [cfg.duration * k for k in range(1, math.ceil(duration / cfg.duration))]
        found = (
            candidates(timeline, duration, pause_threshold=cfg.pause_threshold) if cfg.snap else []
        )
        snap_to = [c.time for c in found]
        word_gaps = unit_gaps(transcript_units(timeline), 0.0, duration) if cfg.snap else []
        cuts: list[float] = []
        reasons: dict[float, list[BoundaryReason]] = {}
        for target in targets:
            t = _nearest(snap_to, target, cfg.duration / 2)
            forced = t is None and cfg.snap
            if t is None:
                t = _nearest(word_gaps, target, cfg.duration / 2)
            t = target if t is None else t
            if (cuts and t <= cuts[-1]) or not 0 < t < duration:
                continue
            cuts.append(t)
            detail = f"window edge {target:g} s" + (
                f", snapped to {t:.2f} s" if t != target else ""
            )
            reasons[t] = [BoundaryReason(kind="fixed", score=1.0, detail=detail)]
            if forced:  # no sentence end near the window edge: the window length forced this cut
                reasons[t].append(
                    BoundaryReason(
                        kind="max_duration",
                        score=1.0,
                        detail="no sentence end within half a window",
                    )
                )
        ctx.progress(duration, duration)
        return build_chunks(timeline, duration, cuts, reasons)


def _nearest(times: list[float], target: float, within: float) -> float | None:
    i = bisect.bisect_left(times, target)
    near = [
        times[j] for j in (i - 1, i) if 0 <= j < len(times) and abs(times[j] - target) <= within
    ]
    return min(near, key=lambda t: abs(t - target), default=None)


@hookimpl
def register_chunkers(register: Register) -> None:
    register(RulesChunker)
    register(FixedChunker)
