"""The teacher: the best cuts a walk can make when the true topic boundaries are known.

Under a walk's rules (no cut closer than `min_duration` to the last one or to the end, a forced cut
before `max_duration` or `max_tokens` would be passed) each cut earns a gain from the true
boundaries (`Episode.truth_gains`). Dynamic programming over "the open chunk starts at span s"
gives the best total gain from every state, so the teacher can say, at any state a learner's walk
reaches, how much cutting there is better (or worse) than the best plan that does not cut there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .env import Limits, Walk
from .episode import Episode


@dataclass(frozen=True)
class Oracle:
    episode: Episode
    limits: Limits
    gains: np.ndarray
    value: np.ndarray
    """(n + 1,) best total gain from the state "the open chunk starts at span s" (s = 0: the
    walk's start; s = k + 1: just after a cut at candidate k)."""

    @classmethod
    def build(cls, episode: Episode, limits: Limits) -> Oracle:
        gains = episode.truth_gains
        n = episode.size
        value = np.zeros(n + 1)
        oracle = cls(episode, limits, gains, value)
        for first in range(n - 1, -1, -1):
            options, _ = oracle._options(first, first)
            value[first] = options.max(initial=0.0) if oracle._free(first) else options.max()
        return oracle

    def _last_cut(self, first_span: int) -> float:
        return float(self.episode.times[first_span - 1]) if first_span else 0.0

    def _forced(self, first_span: int) -> int:
        """The first position where a walk whose open chunk starts at `first_span` must cut
        (`n` when it never must): `Walk.step`'s limits, for every position at once."""
        e, lim = self.episode, self.limits
        ends = e.span_bounds[first_span + 2 :]  # where the span after each position ends
        prefix = np.concatenate([[0.0], np.cumsum(e.span_tokens)])
        tokens = prefix[first_span + 2 :] - prefix[first_span]
        must = (ends - self._last_cut(first_span) > lim.max_duration) | (tokens > lim.max_tokens)
        hits = np.flatnonzero(must)
        return first_span + int(hits[0]) if len(hits) else e.size

    def _free(self, first_span: int) -> bool:
        """Whether a walk from this state may reach the end without another cut."""
        return self._forced(first_span) == self.episode.size

    def _options(self, first_span: int, position: int) -> tuple[np.ndarray, int]:
        """The value of making the next cut at each position from `position` on (forced or
        allowed ones only; -inf elsewhere), and the forced position."""
        e, lim = self.episode, self.limits
        forced = self._forced(first_span)
        stop = min(forced + 1, e.size)
        times = e.times[position:stop]
        allowed = (times - self._last_cut(first_span) >= lim.min_duration) & (
            e.duration - times >= lim.min_duration
        )
        if forced < e.size:
            allowed[-1] = True
        options = self.gains[position:stop] + self.value[position + 1 : stop + 1]
        return np.where(allowed, options, -np.inf), forced

    def advantage(self, walk: Walk) -> float:
        """How much better cutting at the walk's position is than not cutting (0 where the
        limits decide alone)."""
        i = walk.position
        options, forced = self._options(walk.first_span, i)
        if i == forced or options[0] == -np.inf:
            return 0.0
        wait = options[1:].max(initial=-np.inf)
        if forced == self.episode.size:
            wait = max(wait, 0.0)
        return float(options[0] - wait)

    def wants_cut(self, walk: Walk) -> bool:
        return self.advantage(walk) > 0
