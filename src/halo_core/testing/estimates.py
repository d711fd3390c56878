"""For a backend's test: its cost estimate (halo_core.estimate) next to the actual cost, both for
the same run's LLM work: the hierarchical summary of a media file (subtitles, rules chunks)
and answers to questions from chunks.

    estimated, actual = estimate_then_run(backend, SAMPLE, questions)
    assert no generation call happened between the two, and estimated is within 10 % of actual
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..components import LLMBackend
from ..context import RunContext
from ..estimate import Estimator
from ..gateway import LLMGateway
from ..media import probe
from ..model import Chunk, LLMRequest, Media, MediaClip, Timeline
from ..plugins import get_registry
from ..summarize import summarize


@dataclass(frozen=True)
class Compared:
    estimated_usd: float
    actual_usd: float
    estimated_calls: int
    calls_during_estimate: int
    """Generation calls the fake saw while estimating (must be 0)."""


def lecture_chunks(path: Path) -> tuple[Media, Timeline, list[Chunk]]:
    """`path` with its subtitle sidecar, cut by the rules chunker."""
    registry = get_registry()
    media = probe(path)
    ctx = RunContext(stage="test", log=logging.getLogger("halo.test"))
    subtitles = registry.build("extractor", "subtitles", {})
    empty = Timeline(duration=media.duration)
    timeline = empty.with_track(subtitles.provides, subtitles.extract(media, empty, ctx))
    chunker = registry.build("chunker", "rules", {"min_duration": 20, "max_duration": 120})
    return media, timeline, chunker.chunk(timeline, media, ctx)


def _work(
    backend: LLMBackend[Any],
    media: Media,
    timeline: Timeline,
    chunks: Sequence[Chunk],
    questions: Sequence[str],
) -> float:
    gateway = LLMGateway(backend)
    ctx = RunContext(stage="test", log=logging.getLogger("halo.test"))
    summarize(chunks, timeline, media, gateway, ctx, context_id="estimate-test")
    for number, question in enumerate(questions):
        chunk = chunks[number % len(chunks)]
        clip = MediaClip(path=media.path, sha256=media.sha256, start=chunk.start, end=chunk.end)
        gateway.generate(
            LLMRequest(
                task="answer",
                prompt=question,
                context=chunk.text,
                clips=[clip] if backend.accepts_clips else [],
            )
        )
    return sum(u.cost_usd for u in gateway.usage_by_model.values())


def estimate_then_run(
    backend: LLMBackend[Any],
    path: Path,
    questions: Sequence[str],
    generation_calls: Callable[[], int],
) -> Compared:
    """Estimate the work on `backend`, count the generation calls the fake saw meanwhile
    (`generation_calls`), then do it for real."""
    media, timeline, chunks = lecture_chunks(path)
    estimator = Estimator(backend)
    before = generation_calls()
    estimated = _work(estimator, media, timeline, chunks, questions)
    during = generation_calls() - before
    actual = _work(backend, media, timeline, chunks, questions)
    return Compared(estimated, actual, len(estimator.totals.calls), during)
