"""Extractor `topics`: topic segments from where the transcript's meaning shifts.

TextTiling (Hearst, 1997) with sentence embeddings in place of word counts: at every pause between
two transcript segments, compare the mean embedding of the window before it with the window after
it; smooth that similarity curve; score each valley by its depth (how far the similarity fell from
the nearest peaks on both sides); keep the valleys deeper than mean + `threshold` x std of all
valley depths, strongest first, at least `min_duration` apart. Then neighbouring segments whose
mean embeddings are still more similar than `merge_similarity` are merged (a new slide or a
review of the same subject is a valley, not a new topic). Each segment is labelled with a noun
phrase a person would write (`halo_core.phrase_label`: from its most central sentences, its words
weighed against the other segments').
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import Field

from halo_core import (
    ComponentConfig,
    Extractor,
    Media,
    ModelRef,
    RunContext,
    Timeline,
    TopicSegment,
    TranscriptSegment,
    phrase_label,
    sentences,
)

from .embedder import BUNDLED, SentenceTransformersConfig, SentenceTransformersEmbedder

PROGRESS_EVERY = 256  # transcript segments embedded between progress reports


class TopicsConfig(ComponentConfig):
    embedder: str = Field(
        default=BUNDLED,
        description="sentence-transformers model for the embeddings: "
        "`bundled`, a folder or a hub name",
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="where the model runs"
    )
    window: float = Field(
        default=4, gt=0, description="context compared on each side of a pause, in `window_unit`s"
    )
    window_unit: Literal["sentences", "seconds"] = Field(
        default="sentences", description="what `window` counts: transcript segments or seconds"
    )
    smoothing: int = Field(
        default=0, ge=0, description="moving-average half-width over the similarity curve (0: none)"
    )
    threshold: float = Field(
        default=0.0,
        description="a valley is a boundary when its depth exceeds mean + threshold x std of all "
        "valley depths (higher: fewer topics)",
    )
    min_depth: float = Field(
        default=0.5,
        ge=0,
        description="absolute floor on a boundary's depth, so one-topic talks stay whole",
    )
    min_duration: float = Field(default=20.0, ge=0, description="shortest topic, in seconds")
    merge_similarity: float = Field(
        default=0.5,
        description="merge neighbouring topics whose mean embeddings are more similar than this "
        "(a talk coming back to the same subject); 1 turns merging off",
    )


@dataclass(frozen=True)
class Shift:
    time: float
    depth: float


class Topics(Extractor[TopicsConfig]):
    name = "topics"
    version = "2"  # 2: labels are noun phrases (halo_core.phrase_label)
    Config = TopicsConfig
    provides = "topics"
    requires = ("transcript",)
    description = (
        "Topic segments from embedding similarity of consecutive transcript windows "
        "(TextTiling depth scores)."
    )

    @property
    def embedder(self) -> SentenceTransformersEmbedder:
        config = SentenceTransformersConfig(model=self.config.embedder, device=self.config.device)
        return SentenceTransformersEmbedder(config)

    def check(self) -> list[str]:
        return [f"topics: {problem}" for problem in self.embedder.check()]

    def models(self) -> list[ModelRef[Any, Any]]:
        return list(self.embedder.models())

    def extract(self, media: Media, timeline: Timeline, ctx: RunContext) -> list[Any]:
        duration = max(media.duration, timeline.duration)
        # Sentences, not ASR segments: a shift placed between two halves of one sentence would
        # miss the pause where the topic really changes.
        units = [s for s in sentences(timeline) if s.text.strip()]
        if len(units) < 2:
            ctx.log.info("topics: %d transcript segment(s), one topic", len(units))
            return segments_from_shifts([], units, duration)
        cfg = self.config
        embedder = self.embedder
        batches = []
        for first in range(0, len(units), PROGRESS_EVERY):
            batch = units[first : first + PROGRESS_EVERY]
            batches.append(embedder.embed([u.text for u in batch]))
            ctx.progress(min(duration, batch[-1].end), duration)
        vectors = np.vstack(batches)
        similarity = smooth(
            gap_similarities(units, vectors, cfg.window, cfg.window_unit), cfg.smoothing
        )
        times = gap_times(units)
        shifts = pick_shifts(
            times,
            depth_scores(similarity),
            valleys(similarity),
            cfg.threshold,
            cfg.min_depth,
            cfg.min_duration,
            duration,
        )
        shifts = merge_similar(shifts, units, vectors, cfg.merge_similarity)
        ctx.log.info("topics: %d shift(s) among %d pauses", len(shifts), len(times))
        return segments_from_shifts(shifts, units, duration)


def gap_times(units: Sequence[TranscriptSegment]) -> np.ndarray:
    """The time of each pause between consecutive segments: the middle of the silence."""
    return np.array([(a.end + b.start) / 2 for a, b in zip(units, units[1:])])


def gap_similarities(
    units: Sequence[TranscriptSegment], vectors: np.ndarray, window: float, unit: str
) -> np.ndarray:
    """Cosine similarity of the word-weighted mean embedding before and after each pause."""
    weights = np.array([max(1, len(u.text.split())) for u in units], dtype=np.float32)
    mids = np.array([(u.start + u.end) / 2 for u in units])
    times = gap_times(units)
    similarity = np.empty(len(units) - 1, dtype=np.float64)
    for gap in range(len(units) - 1):
        if unit == "sentences":
            n = max(1, int(round(window)))
            left = np.arange(max(0, gap + 1 - n), gap + 1)
            right = np.arange(gap + 1, min(len(units), gap + 1 + n))
        else:
            left = np.flatnonzero((mids < times[gap]) & (mids >= times[gap] - window))
            right = np.flatnonzero((mids > times[gap]) & (mids <= times[gap] + window))
            left = left if len(left) else np.array([gap])  # a segment longer than the window
            right = right if len(right) else np.array([gap + 1])
        similarity[gap] = _cosine(_mean(vectors, weights, left), _mean(vectors, weights, right))
    return similarity


def _mean(vectors: np.ndarray, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return (vectors[rows] * weights[rows, None]).sum(axis=0)


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / norm if norm > 0 else 0.0


def smooth(values: np.ndarray, half_width: int) -> np.ndarray:
    """Centered moving average; the ends average over the part of the window that exists."""
    if half_width == 0 or len(values) < 3:
        return values.astype(np.float64)
    kernel = np.ones(2 * half_width + 1)
    sums = np.convolve(values, kernel, mode="same")
    counts = np.convolve(np.ones_like(values), kernel, mode="same")
    return sums / counts


def depth_scores(similarity: np.ndarray) -> np.ndarray:
    """Hearst's depth: climb to the highest point on each side while the curve keeps rising."""
    depths = np.zeros_like(similarity)
    for i, value in enumerate(similarity):
        left = value
        for j in range(i - 1, -1, -1):
            if similarity[j] < left:
                break
            left = similarity[j]
        right = value
        for j in range(i + 1, len(similarity)):
            if similarity[j] < right:
                break
            right = similarity[j]
        depths[i] = (left - value) + (right - value)
    return depths


def valleys(similarity: np.ndarray) -> np.ndarray:
    """Indices of local minima (plateaus count once, at their first point)."""
    n = len(similarity)
    found = []
    for i in range(n):
        lower_than_left = i == 0 or similarity[i] < similarity[i - 1]
        j = i
        while j + 1 < n and similarity[j + 1] == similarity[i]:
            j += 1
        lower_than_right = j == n - 1 or similarity[i] < similarity[j + 1]
        if lower_than_left and lower_than_right and (i > 0 or j < n - 1):
            found.append(i)
    return np.array(found, dtype=int)


def pick_shifts(
    times: np.ndarray,
    depths: np.ndarray,
    candidates: np.ndarray,
    threshold: float,
    min_depth: float,
    min_duration: float,
    duration: float,
) -> list[Shift]:
    """Deep enough valleys, strongest first, keeping every topic at least `min_duration` long."""
    if len(candidates) == 0:
        return []
    candidate_depths = depths[candidates]
    cutoff = max(min_depth, float(candidate_depths.mean() + threshold * candidate_depths.std()))
    chosen: list[Shift] = []
    for i in candidates[np.argsort(-candidate_depths, kind="stable")]:
        time, depth = float(times[i]), float(depths[i])
        if depth <= cutoff:
            break
        fences = [0.0, duration, *(s.time for s in chosen)]
        inside = 0 < time < duration  # a transcript may run past the media's end
        if inside and all(abs(time - fence) >= min_duration for fence in fences):
            chosen.append(Shift(time, depth))
    return sorted(chosen, key=lambda s: s.time)


def merge_similar(
    shifts: Sequence[Shift],
    units: Sequence[TranscriptSegment],
    vectors: np.ndarray,
    max_similarity: float,
) -> list[Shift]:
    """Drop shifts between neighbouring topics about the same thing, most similar pair first.

    A local valley can open a new slide, an example or a review of the same subject; comparing
    whole segments (their word-weighted mean embeddings) tells those apart from a new subject.
    A segment with no speech joins its neighbour.
    """
    kept = list(shifts)
    weights = np.array([max(1, len(u.text.split())) for u in units], dtype=np.float32)
    mids = np.array([(u.start + u.end) / 2 for u in units])
    while kept:
        edges = [-np.inf, *(s.time for s in kept), np.inf]
        means = [
            _mean(vectors, weights, np.flatnonzero((mids >= a) & (mids < b)))
            for a, b in zip(edges, edges[1:])
        ]
        similarity = [
            _cosine(a, b) if a.any() and b.any() else np.inf for a, b in zip(means, means[1:])
        ]
        closest = int(np.argmax(similarity))
        if similarity[closest] <= max_similarity:
            break
        del kept[closest]
    return kept


def segments_from_shifts(
    shifts: Sequence[Shift], units: Sequence[TranscriptSegment], duration: float
) -> list[TopicSegment]:
    """Topics that tile [0, duration]: one per shift, plus the opening one, each labelled with a
    noun phrase from its most central sentences, its words weighed against the other topics'."""
    edges = [0.0, *(s.time for s in shifts), duration]
    scores = [1.0, *(min(1.0, s.depth / 2) for s in shifts)]  # a depth is a fall on two sides
    said = [
        [u.text for u in units if start <= (u.start + u.end) / 2 < end]
        for start, end in zip(edges, edges[1:])
    ]
    labels = [phrase_label(s, said[:i] + said[i + 1 :]) for i, s in enumerate(said)]
    return [
        TopicSegment(start=start, end=end, label=label, score=score)
        for start, end, label, score in zip(edges, edges[1:], labels, scores)
    ]
