"""A cost plan before spending: what a run's LLM calls would cost, with no generation call.

`Estimator` stands in for a run's LLM backend. Every request the run would send reaches it
through the same code (the summary hierarchy, Q&A's retrieval and context assembly), and it
answers each with a placeholder reply of the expected length instead of calling the model,
recording the call's plan: the model the backend would pick, the prompt tokens the backend
counts (Gemini's countTokens; a local count for Chat Completions), the expected output, and the
cost at today's price. Only the output is assumed: `EXPECTED_REPLY_TOKENS` for the reply HALO's
prompts ask for (a title, a short paragraph, a few key points: about 120 words) plus what the
backend expects to spend thinking (`expected_thinking_tokens`).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .components import ComponentConfig, LLMBackend
from .model import Chunk, CostLadder, LLMRequest, LLMResponse, Media, MediaClip, Timeline, Usage

EXPECTED_REPLY_TOKENS = 160
"""Visible tokens of a reply in HALO's format (title, short paragraph, key points)."""


@dataclass(frozen=True)
class CallEstimate:
    task: str
    model: str
    prompt_tokens: int
    output_tokens: int
    cost_usd: float
    level: str = ""
    """A summary request's `options.level` (chunk, section, video), as the Estimator saw it."""
    worst_usd: float | None = None
    """The most the call can cost (what the budget stop holds while it runs); None: `cost_usd`."""

    @property
    def slack_usd(self) -> float:
        """What the budget stop holds for this call beyond its planned cost."""
        return max(0.0, (self.worst_usd or self.cost_usd) - self.cost_usd)


def expected_output_tokens(request: LLMRequest, limit: int, thinking: int = 0) -> int:
    """The output a request is expected to use: the reply plus thinking, within its limit."""
    return min(request.max_output_tokens or limit, EXPECTED_REPLY_TOKENS + thinking)


def estimate_call(backend: LLMBackend[Any], request: LLMRequest) -> CallEstimate:
    """The plan of one call: the backend's own (`estimate_call`) when it has one, else its
    token count at no cost (an offline backend)."""
    own = getattr(backend, "estimate_call", None)
    if callable(own):
        found: CallEstimate = own(request)
        return found
    tokens = backend.count_tokens(request)
    output = expected_output_tokens(request, request.max_output_tokens or EXPECTED_REPLY_TOKENS)
    return CallEstimate(request.task, request.model or backend.model, tokens, output, 0.0)


def placeholder_reply(tokens: int) -> str:
    """Text of about `tokens` tokens (4 characters each) in the summary format."""
    filler = " ".join(["word"] * max(0, (tokens * 4 - 24) // 5))
    return f"Title: estimated reply\n{filler}\n- key point"


@dataclass
class EstimateTotals:
    """The calls an `Estimator` planned, by task."""

    calls: list[CallEstimate] = field(default_factory=list)

    def of(self, *tasks: str) -> list[CallEstimate]:
        return [c for c in self.calls if not tasks or c.task in tasks]

    def cost_usd(self, *tasks: str) -> float:
        return sum(c.cost_usd for c in self.of(*tasks))

    def tokens(self, *tasks: str) -> tuple[int, int]:
        calls = self.of(*tasks)
        return sum(c.prompt_tokens for c in calls), sum(c.output_tokens for c in calls)


class Estimator(LLMBackend[ComponentConfig]):
    """An LLM backend that plans calls on `backend` instead of making them (see the module doc)."""

    name: ClassVar[str] = "estimate"

    def __init__(self, backend: LLMBackend[Any]) -> None:
        super().__init__()
        self.backend = backend
        self.totals = EstimateTotals()
        self.accepts_clips = backend.accepts_clips  # type: ignore[misc]  # as the real run
        self.max_concurrency = backend.max_concurrency  # type: ignore[misc]
        self._lock = threading.Lock()

    @property
    def model(self) -> str:
        return self.backend.model

    def identity(self) -> dict[str, Any]:
        return {"name": self.name, "of": self.backend.identity()}

    def count_tokens(self, request: LLMRequest) -> int:
        return self.backend.count_tokens(request)

    def cost_ladder(self) -> CostLadder | None:
        return self.backend.cost_ladder()

    def estimate_call(self, request: LLMRequest) -> CallEstimate:
        return estimate_call(self.backend, request)

    def video_twin(self) -> LLMBackend[Any]:
        return naive_backend(self.backend)

    def generate(self, request: LLMRequest) -> LLMResponse:
        plan = estimate_call(self.backend, request)
        plan = dataclasses.replace(plan, level=str(request.options.get("level", "")))
        with self._lock:
            self.totals.calls.append(plan)
        return LLMResponse(
            text=placeholder_reply(plan.output_tokens),
            model=plan.model,
            usage=Usage(input_tokens=plan.prompt_tokens, output_tokens=plan.output_tokens),
            cost_usd=plan.cost_usd,
        )

    def generate_many(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        return [self.generate(r) for r in requests]


def whole_transcript(timeline: Timeline, chunks: Sequence[Chunk]) -> str:
    """The media's whole transcript (the chunks' text when the run has no transcript track):
    what the naive approach sends when it reads no video."""
    return " ".join(s.text for s in timeline.track("transcript")) or " ".join(
        c.text for c in chunks
    )


def naive_backend(backend: LLMBackend[Any]) -> LLMBackend[Any]:
    """The backend as the naive approach uses it: a backend that reads video only in some mode
    offers a `video_twin()` configured to."""
    twin = getattr(backend, "video_twin", None)
    naive: LLMBackend[Any] = twin() if callable(twin) else backend
    return naive


def naive_reads_video(backend: LLMBackend[Any]) -> bool:
    """Whether `naive_calls` sends the whole video (else the whole transcript)."""
    return naive_backend(backend).accepts_clips


def naive_calls(
    backend: LLMBackend[Any],
    media: Media,
    transcript: str,
    questions: Sequence[str],
    *,
    summarize: bool,
) -> list[CallEstimate]:
    """The naive approach's plan: the whole video (the whole transcript, for a backend that
    reads no video) with the summary request and with every question (`naive_backend`)."""
    naive = naive_backend(backend)
    whole = MediaClip(path=media.path, sha256=media.sha256, start=0.0, end=media.duration)
    given: dict[str, Any] = {"clips": [whole]} if naive.accepts_clips else {"context": transcript}
    requests = [LLMRequest(task="answer", prompt=q, **given) for q in questions]
    if summarize:
        requests.insert(0, LLMRequest(task="summarize", prompt="Summarize the video.", **given))
    return [estimate_call(naive, r) for r in requests]


def describe(calls: Sequence[CallEstimate]) -> str:
    """`N requests, P input + O output tokens, $C` of some planned calls."""
    prompt = sum(c.prompt_tokens for c in calls)
    output = sum(c.output_tokens for c in calls)
    cost = sum(c.cost_usd for c in calls)
    return f"{len(calls)} requests, {prompt:,} input + {output:,} output tokens, ${cost:.4f}"
