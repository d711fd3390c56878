"""The `gemini` LLM backend: google-genai over transcript text or uploaded-video clips.

One request becomes one `generateContent` call: the clips (video mode) or the chunk text
(transcript mode) first, then the prompt. Before sending, `countTokens` gives the prompt size,
which picks the model (the light `model` for the map phase; `escalation_model` above a threshold
and for section/video summaries) and checks the run's budget against the worst case the call
could cost. The cost is then computed from the response's `usage_metadata` alone, at the price
(`halo_core.prices`) that applies on the day of the call.

With `max_cost_usd`, `cost_ladder()` offers the settings a chunk's summary may be read by (the
transcript or the clip, fps, media resolution, light or strong model; `mode`, `fps` and
`media_resolution` are the ceiling) and the core's planner (halo_core.chunk_plan) picks one per
chunk; a request's `setting` then overrides this configuration for that request.

Media resolution: Gemini 3 and later take it per part (`Part.media_resolution`), so countTokens
sees it; the 2.5 family takes it only request-wide, which countTokens ignores, so a low-resolution
2.5 count has its VIDEO tokens rescaled by the family's published per-frame rates.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, SecretStr

from halo_core import (
    ChunkSetting,
    ComponentUnavailable,
    CostLadder,
    Failure,
    HaloError,
    LLMRequest,
    LLMResponse,
    ModelPrice,
    RemoteLLMBackend,
    RemoteLLMConfig,
    TokenCounts,
    TransientLLMError,
    Usage,
    cache_storage_cost_usd,
    cost_usd,
    redact,
    request_header,
    request_span,
    worst_case_cost_usd,
)

from .retry import classify
from .uploads import UploadedFiles

# google.genai is slow to import: it is imported where a request is built, so that registering
# this backend (every `halo` command, even `--help`) stays fast.
if TYPE_CHECKING:
    from google import genai
    from google.genai import types

log = logging.getLogger("halo.llm.gemini")

EXPECTED_THINKING_TOKENS = 64
"""What a call is expected to spend thinking at a low level or budget (the fake's figure; real
models vary with the request: the actual usage in report.json is the measure)."""
BLOCKED_FINISH_REASONS = frozenset(
    {"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "IMAGE_SAFETY", "RECITATION"}
)
TERMINAL_BATCH_STATES = frozenset(
    {"JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"}
)


class GeminiConfig(RemoteLLMConfig):
    api_key: SecretStr | None = Field(
        default=None,
        description="API key, normally `${GEMINI_API_KEY}`; unset: GEMINI_API_KEY, then "
        "GOOGLE_API_KEY. Never written to outputs, logs or errors.",
    )
    api_version: str = Field(default="v1beta", description="API version in request paths")
    model: str = Field(
        default="gemini-3.5-flash-lite", description="default model (the map phase, answers)"
    )
    escalation_model: str = Field(
        default="gemini-3.8-flash",
        description="model for large requests and for section and video summaries",
    )
    escalate_above_tokens: int = Field(
        default=120_000, ge=0, description="prompt tokens above which escalation_model is used"
    )
    escalate_levels: list[str] = Field(
        default=["section", "video"], description="`options.level` values sent to escalation_model"
    )
    mode: Literal["transcript", "video"] = Field(
        default="transcript",
        description="transcript: send chunk text; video: send the chunk's clip of the video",
    )
    media_resolution: Literal["low", "medium", "default"] = Field(
        default="default",
        description="video frame resolution: 2.5 family low = 66 tokens/frame, default = 258; "
        "3.x family 70 (halo prices --json, media)",
    )
    fps: float = Field(default=1.0, gt=0, le=24, description="frames per second sampled from clips")
    thinking_budget: int | None = Field(
        default=512,
        ge=-1,
        description="2.5 family: thinking tokens per call: 0 = off (Flash; Pro always thinks, so "
        "it keeps its default), -1 = dynamic, None = the model's default",
    )
    thinking_level: Literal["low", "medium", "high"] | None = Field(
        default="low",
        description="Gemini 3 and later (they take no thinking_budget); None: the model's default",
    )
    context_cache: bool = Field(
        default=True, description="cache a repeated context (caches.create) once it is large enough"
    )
    cache_min_uses: int = Field(
        default=2, ge=1, description="create the cache on this use of the same context"
    )
    cache_ttl_s: int = Field(default=600, ge=60, description="context cache lifetime (billed)")
    batch: bool = Field(
        default=False, description="send generate_many() through the Batch API (half price, slow)"
    )
    batch_poll_s: float = Field(default=10.0, gt=0, description="batch status polling interval")
    batch_timeout_s: float = Field(
        default=24 * 3600.0, gt=0, description="give up on a batch after"
    )
    upload_poll_s: float = Field(
        default=2.0, gt=0, description="upload processing polling interval"
    )
    upload_timeout_s: float = Field(
        default=600.0, gt=0, description="wait for an upload to be ACTIVE"
    )
    state_path: str | None = Field(
        default=".halo/gemini-files.json",
        description="remembers uploaded files across runs (48 h); null: memory only",
    )


@dataclass
class _Prepared:
    """A request turned into Gemini contents, with its size and model chosen."""

    request: LLMRequest
    model: str
    price: ModelPrice
    prefix: list[types.Part]
    question: types.Part
    prompt_tokens: int
    max_output_tokens: int


class GeminiBackend(RemoteLLMBackend[GeminiConfig]):
    name = "gemini"
    version = "1"
    Config = GeminiConfig
    description = "Google Gemini (google-genai): transcript or video-clip requests, exact cost"
    accepts_clips = True
    service = "Gemini"
    key_env_vars = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    budget_fix = "raise llm.with.max_cost_usd, or use mode: transcript or media_resolution: low"

    def __init__(self, config: GeminiConfig | None = None) -> None:
        super().__init__(config)
        self._lock = threading.Lock()
        self._client_instance: genai.Client | None = None
        self._context_uses: dict[str, int] = {}
        self._context_caches: dict[str, tuple[str, float]] = {}
        self._cache_locks: dict[str, threading.Lock] = {}
        self.files = UploadedFiles(
            Path(self.config.state_path) if self.config.state_path else None,
            scope=f"{self.config.base_url or 'https://generativelanguage.googleapis.com'}"
            f"/{self.config.api_version}",
            call=lambda what, fn: self.call(what, self.config.model, fn),
            poll_s=self.config.upload_poll_s,
            active_timeout_s=self.config.upload_timeout_s,
        )

    def __repr__(self) -> str:
        return f"GeminiBackend(model={self.model!r}, mode={self.config.mode!r})"

    # --- the LLMBackend contract -----------------------------------------------------------

    @property
    def model(self) -> str:
        return self.config.model

    @property
    def prefers_batch(self) -> bool:
        """True when `generate_many` goes through the Batch API: a caller with many independent
        requests (the summary's map phase) should hand them over in one call."""
        return self.config.batch

    def check(self) -> list[str]:
        problems = []
        lookup = self.find_key()
        if lookup.problem:
            problems.append(lookup.problem)
        for model in (self.config.model, self.config.escalation_model):
            if self.prices.price(model, self.today()) is None:
                problems.append(
                    f"no price for model {model!r} on {self.today()}: add it under "
                    f"llm.with.prices (USD per 1M tokens: {{{model}: {{standard: {{input: ..., "
                    "cached_input: ..., output: ...}}}}}})"
                )
        return problems

    def identity(self) -> dict[str, Any]:
        """What decides the answers (never the key, budget or retry settings)."""
        keep = (
            "base_url",
            "api_version",
            "model",
            "escalation_model",
            "escalate_above_tokens",
            "escalate_levels",
            "mode",
            "media_resolution",
            "fps",
            "max_output_tokens",
            "thinking_budget",
            "thinking_level",
        )
        options = self.config.model_dump(mode="json", include=set(keep))
        return {"name": self.name, "version": self.version, "config": options}

    def count_tokens(self, request: LLMRequest) -> int:
        return self._prepare(request).prompt_tokens

    def cost_ladder(self) -> CostLadder | None:
        """With `max_cost_usd`: what a chunk's summary may be read by (halo_core.chunk_plan):
        the transcript on `model` or `escalation_model`; in video mode also the clip on either,
        at the configured fps and media resolution, at low resolution, and at half the fps."""
        if self.config.max_cost_usd is None:
            return None
        models = list(dict.fromkeys((self.config.model, self.config.escalation_model)))
        settings = [ChunkSetting(mode="transcript", model=m) for m in models]
        if self.config.mode == "video":
            fps, resolution = self.config.fps, self.config.media_resolution
            views = dict.fromkeys([(resolution, fps), ("low", fps), ("low", fps / 2)])
            settings += [
                ChunkSetting(mode="video", model=m, fps=f, media_resolution=r)
                for m in models for r, f in views
            ]  # fmt: skip
        return CostLadder(
            settings=settings,
            budget_usd=self.config.max_cost_usd,
            priced_on=self.today().isoformat(),
            calls_in_flight=self.max_concurrency,
        )

    def video_twin(self) -> GeminiBackend:
        """This backend in video mode (what the naive whole-video comparison is priced on)."""
        if self.config.mode == "video":
            return self
        twin = GeminiBackend(self.config.model_copy(update={"mode": "video"}))
        twin.today, twin.sleep = self.today, self.sleep
        return twin

    def plan(self, request: LLMRequest) -> tuple[str, TokenCounts, ModelPrice | None]:
        """The counted prompt, with the clips' audio (priced apart on some models) at the
        family's published rate."""
        prepared = self._prepare(request)
        media = self.prices.media_accounting(prepared.model)
        audio = 0
        if self._view(request).mode == "video" and media is not None:
            audio = sum(
                math.ceil((c.end - c.start) * media.audio_tokens_per_s) for c in request.clips
            )
        counts = TokenCounts(prompt=prepared.prompt_tokens, audio_prompt=audio)
        return prepared.model, counts, prepared.price

    def expected_thinking_tokens(self, model: str) -> int:
        """EXPECTED_THINKING_TOKENS unless thinking is off (a zero budget on 2.5 Flash)."""
        if model.startswith("gemini-2") and self.config.thinking_budget == 0 and "pro" not in model:
            return 0
        return EXPECTED_THINKING_TOKENS

    def generate(self, request: LLMRequest) -> LLMResponse:
        from google.genai import types

        prepared = self._prepare(request)
        cache_key = self._cache_candidate(prepared)
        worst = worst_case_cost_usd(
            prepared.price, prepared.prompt_tokens, prepared.max_output_tokens
        )
        if cache_key is not None:
            worst += self._cache_creation_cost(prepared, prepared.prompt_tokens)
        self._reserve(worst, prepared)
        actual = 0.0
        try:
            cache_name, actual, creation_tokens = (
                self._cached_context(prepared, cache_key) if cache_key else (None, 0.0, 0)
            )
            parts = [prepared.question] if cache_name else [*prepared.prefix, prepared.question]
            config = self._generation_config(prepared, cached=cache_name)
            response = self.call(
                "generateContent",
                prepared.model,
                lambda: self._client().models.generate_content(
                    model=prepared.model,
                    contents=[types.Content(role="user", parts=parts)],
                    config=config,
                ),
            )
            answer = self._response(prepared, response, batch=False)
            actual += answer.cost_usd
            return answer.model_copy(
                update={
                    "cost_usd": actual,
                    "usage": answer.usage + Usage(input_tokens=creation_tokens),
                }
            )
        finally:
            self._settle(worst, actual)

    def generate_many(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        """Answers for many independent requests, in order: through the Batch API when
        `batch: true` (half price, minutes to hours), else `max_concurrency` calls at a time."""
        if self.config.batch and len(requests) > 1:
            return self._generate_batch(list(requests))
        return super().generate_many(requests)

    # --- building requests -----------------------------------------------------------------

    def _prepare(self, request: LLMRequest) -> _Prepared:
        from google.genai import types

        question = types.Part(text=request.prompt)
        chosen = request.model or (request.setting.model if request.setting else None)
        default = chosen or self.config.model
        prefix = self._prefix_parts(request, default)
        tokens = self._count(default, request, prefix, question)
        model = default
        if chosen is None and (
            tokens > self.config.escalate_above_tokens
            or str(request.options.get("level", "")) in self.config.escalate_levels
        ):
            model = self.config.escalation_model
        if model != default:
            prefix = self._prefix_parts(request, model)
            tokens = self._count(model, request, prefix, question)
        price = self.prices.price(model, self.today())
        if price is None:
            raise HaloError(
                f"no price for model {model!r} on {self.today()}",
                where="llm gemini",
                fix=f"add llm.with.prices.{model}: {{standard: {{input: ..., output: ..., "
                f"cached_input: ...}}}} (USD per 1M tokens)",
            )
        return _Prepared(
            request,
            model,
            price,
            prefix,
            question,
            tokens,
            request.max_output_tokens or self.config.max_output_tokens,
        )

    def _per_part_resolution(self, model: str) -> bool:
        media = self.prices.media_accounting(model)
        return media is None or media.per_part_media_resolution  # unknown: a current model

    def _view(self, request: LLMRequest) -> ChunkSetting:
        """How `request` shows its media: its planned `setting`, else this backend's config
        (the model is chosen apart, in `_prepare`)."""
        if request.setting is not None:
            return request.setting.model_copy(update={
                "fps": request.setting.fps or self.config.fps,
                "media_resolution": request.setting.media_resolution
                or self.config.media_resolution,
            })  # fmt: skip
        return ChunkSetting(mode=self.config.mode, model=self.config.model, fps=self.config.fps,
                            media_resolution=self.config.media_resolution)  # fmt: skip

    def _prefix_parts(self, request: LLMRequest, model: str) -> list[types.Part]:
        from google.genai import types

        view = self._view(request)
        parts: list[types.Part] = []
        own = None  # Gemini 3+: the resolution travels with the part, so countTokens sees it
        if view.media_resolution != "default" and self._per_part_resolution(model):
            own = types.PartMediaResolution(
                level=types.PartMediaResolutionLevel(
                    f"MEDIA_RESOLUTION_{str(view.media_resolution).upper()}"
                )
            )
        if view.mode == "video":
            for clip in request.clips:
                uploaded = self.files.file_for(self._client(), clip)
                parts.append(
                    types.Part(
                        file_data=types.FileData(
                            file_uri=uploaded.uri, mime_type=uploaded.mime_type
                        ),
                        video_metadata=types.VideoMetadata(
                            start_offset=_offset(clip.start),
                            end_offset=_offset(clip.end),
                            fps=view.fps,
                        ),
                        media_resolution=own,
                    )
                )
        about = request_header(request)
        text = "\n".join(t for t in (about, request.context.strip()) if t)
        if text:
            parts.append(types.Part(text=text))
        return parts

    def _generation_config(
        self, prepared: _Prepared, *, cached: str | None
    ) -> types.GenerateContentConfig:
        from google.genai import types

        request = prepared.request
        thinking = self._thinking(prepared.model)
        resolutions = {  # "default": None, the API's default
            "low": types.MediaResolution.MEDIA_RESOLUTION_LOW,
            "medium": types.MediaResolution.MEDIA_RESOLUTION_MEDIUM,
        }
        view = self._view(request)
        request_wide = view.mode == "video" and not self._per_part_resolution(prepared.model)
        return types.GenerateContentConfig(
            system_instruction=None if cached else request.system,
            cached_content=cached,
            temperature=request.temperature,
            max_output_tokens=prepared.max_output_tokens,
            media_resolution=resolutions.get(str(view.media_resolution))
            if request_wide
            else None,
            thinking_config=thinking,
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        )

    def _thinking(self, model: str) -> types.ThinkingConfig | None:
        from google.genai import types

        if model.startswith("gemini-2"):
            budget = self.config.thinking_budget
            if budget == 0 and "pro" in model:
                budget = None  # 2.5 Pro cannot turn thinking off and rejects a zero budget
            return types.ThinkingConfig(thinking_budget=budget) if budget is not None else None
        level = self.config.thinking_level  # Gemini 3+ take levels, not budgets
        if level is None:
            return None
        return types.ThinkingConfig(thinking_level=types.ThinkingLevel(level.upper()))

    def _count(
        self, model: str, request: LLMRequest, prefix: list[types.Part], question: types.Part
    ) -> int:
        from google.genai import types

        contents = [types.Content(role="user", parts=[*prefix, question])]
        counted = self.call(
            "countTokens",
            model,
            lambda: self._client().models.count_tokens(model=model, contents=contents),
        )
        # countTokens on the Gemini API takes no system instruction: add its size estimate.
        system = math.ceil(len(request.system) / 4) if request.system else 0
        return int(counted.total_tokens or 0) + system - self._uncounted_resolution(model, request)

    def _uncounted_resolution(self, model: str, request: LLMRequest) -> int:
        """What countTokens over-counts for a request-wide resolution it does not take (the 2.5
        family): the clips' frames at the default rate minus at the configured one."""
        media = self.prices.media_accounting(model)
        view = self._view(request)
        if view.mode != "video" or media is None or self._per_part_resolution(model):
            return 0
        default, chosen = media.frame_tokens("default"), media.frame_tokens(
            str(view.media_resolution)
        )
        if default is None or chosen is None:
            return 0
        frames = sum(math.ceil((c.end - c.start) * (view.fps or 1.0)) for c in request.clips)
        return frames * (default - chosen)

    # --- responses, cost, budget -----------------------------------------------------------

    def _response(
        self, prepared: _Prepared, response: types.GenerateContentResponse, *, batch: bool
    ) -> LLMResponse:
        counts = _token_counts(response.usage_metadata)
        cost = cost_usd(prepared.price, counts, batch=batch)
        usage = Usage(
            input_tokens=counts.prompt,
            output_tokens=counts.output,
            cached_tokens=counts.cached,
            thoughts_tokens=counts.thoughts,
        )
        blocked = _blocked_reason(response)
        if blocked:
            self.budget.charge(cost)  # a blocked prompt is still billed
            raise HaloError(
                f"Gemini blocked the {prepared.request.task} request ({blocked})"
                f"{request_span(prepared.request)}",
                where=f"llm gemini, model {prepared.model}",
                fix="this is not retried; rephrase the prompt, or use another LLM for this media",
            )
        text = response.text or ""
        if not text:
            log.warning(
                "gemini %s: empty reply (finish reason %s)", prepared.model, _finish(response)
            )
        return LLMResponse(text=text, model=prepared.model, usage=usage, cost_usd=cost)

    def _reserve(self, worst_usd: float, prepared: _Prepared) -> None:
        self.budget.reserve(
            worst_usd,
            f"Gemini {prepared.request.task}, {prepared.model}, "
            f"{prepared.prompt_tokens} prompt tokens",
        )

    def _settle(self, reserved_usd: float, actual_usd: float) -> None:
        self.budget.settle(reserved_usd, actual_usd)

    # --- explicit context caching ----------------------------------------------------------

    def _cache_candidate(self, prepared: _Prepared) -> str | None:
        """The key of the request's context when it is worth caching: large enough for the
        model's minimum and used `cache_min_uses` times (counting this one)."""
        if not self.config.context_cache or not prepared.prefix:
            return None
        prefix_tokens = prepared.prompt_tokens - math.ceil(len(prepared.request.prompt) / 4)
        if prefix_tokens < prepared.price.cache_min_tokens:
            return None
        key = _prefix_key(prepared)
        with self._lock:
            uses = self._context_uses[key] = self._context_uses.get(key, 0) + 1
        return key if uses >= self.config.cache_min_uses else None

    def _cache_creation_cost(self, prepared: _Prepared, tokens: int) -> float:
        """Creating a cache bills its tokens at the input rate, plus storage for the whole TTL."""
        return cost_usd(prepared.price, TokenCounts(prompt=tokens)) + cache_storage_cost_usd(
            prepared.price, tokens, self.config.cache_ttl_s
        )

    def _cached_context(self, prepared: _Prepared, key: str) -> tuple[str, float, int]:
        """(cache name, creation cost, cached tokens): a live cache costs nothing more."""
        from google.genai import types

        with self._lock:
            lock = self._cache_locks.setdefault(key, threading.Lock())
        with lock:
            live = self._context_caches.get(key)
            if live is not None and live[1] - time.monotonic() > 30:
                return live[0], 0.0, 0
            created = self.call(
                "caches.create",
                prepared.model,
                lambda: self._client().caches.create(
                    model=prepared.model,
                    config=types.CreateCachedContentConfig(
                        contents=[types.Content(role="user", parts=prepared.prefix)],
                        system_instruction=prepared.request.system,
                        ttl=f"{self.config.cache_ttl_s}s",
                        display_name=f"halo-{key[:16]}",
                    ),
                ),
            )
            usage = created.usage_metadata
            tokens = int((usage.total_token_count if usage else 0) or 0)
            self._context_caches[key] = (
                str(created.name),
                time.monotonic() + self.config.cache_ttl_s,
            )
        log.info(
            "gemini: cached a %d-token context as %s for %d s",
            tokens,
            created.name,
            self.config.cache_ttl_s,
        )
        return str(created.name), self._cache_creation_cost(prepared, tokens), tokens

    # --- the Batch API -----------------------------------------------------------------------

    def _generate_batch(self, requests: list[LLMRequest]) -> list[LLMResponse]:
        prepared = [self._prepare(r) for r in requests]
        worst = sum(
            worst_case_cost_usd(p.price, p.prompt_tokens, p.max_output_tokens, batch=True)
            for p in prepared
        )
        self._reserve(worst, prepared[0])
        answers: dict[int, LLMResponse] = {}
        actual = 0.0
        try:
            by_model: dict[str, list[int]] = {}
            for index, p in enumerate(prepared):
                by_model.setdefault(p.model, []).append(index)
            for model, indexes in by_model.items():
                for index, answer in self._run_batch(
                    model, [prepared[i] for i in indexes], indexes
                ):
                    answers[index] = answer
                    actual += answer.cost_usd
        finally:
            self._settle(worst, actual)
        # Items the batch could not answer are sent one by one, at the interactive price.
        return [
            answers[i] if i in answers else self.generate(requests[i]) for i in range(len(requests))
        ]

    def _run_batch(
        self, model: str, items: list[_Prepared], indexes: list[int]
    ) -> list[tuple[int, LLMResponse]]:
        from google.genai import types

        inlined = [
            types.InlinedRequest(
                contents=[types.Content(role="user", parts=[*p.prefix, p.question])],
                config=self._generation_config(p, cached=None),
                metadata={"key": str(index)},
            )
            for p, index in zip(items, indexes, strict=True)
        ]
        job = self.call(
            "batches.create",
            model,
            lambda: self._client().batches.create(
                model=model,
                src=inlined,
                config=types.CreateBatchJobConfig(display_name=f"halo-{len(inlined)}-requests"),
            ),
        )
        log.info("gemini: batch %s with %d requests submitted", job.name, len(inlined))
        deadline = time.monotonic() + self.config.batch_timeout_s
        while _enum(job.state) not in TERMINAL_BATCH_STATES:
            if time.monotonic() > deadline:
                raise TransientLLMError(
                    f"Gemini batch {job.name} not done after {self.config.batch_timeout_s:.0f} s"
                )
            self.sleep(self.config.batch_poll_s)
            job = self.call(
                "batches.get", model, partial(self._client().batches.get, name=str(job.name))
            )
        if _enum(job.state) != "JOB_STATE_SUCCEEDED":
            log.warning(
                "gemini: batch %s ended %s; sending its requests one by one",
                job.name,
                _enum(job.state),
            )
            return []
        by_key = {p_index: p for p, p_index in zip(items, indexes, strict=True)}
        results = []
        for item in (job.dest.inlined_responses if job.dest else None) or []:
            index = int((item.metadata or {}).get("key", -1))
            if index not in by_key or item.response is None:
                log.warning(
                    "gemini: batch item %s failed (%s)",
                    index,
                    redact(str(item.error), self.api_key()),
                )
                continue
            results.append((index, self._response(by_key[index], item.response, batch=True)))
        return results

    # --- plumbing --------------------------------------------------------------------------

    def _client(self) -> genai.Client:
        from google import genai
        from google.genai import types

        with self._lock:
            if self._client_instance is None:
                key = self.api_key()
                if key is None:
                    raise ComponentUnavailable(
                        str(self._key.problem if self._key else "no key"),
                        where="llm gemini",
                        fix="set GEMINI_API_KEY, or add a fallback: "
                        "`llm: {use: gemini, fallback: [extractive]}`",
                    )
                options = types.HttpOptions(
                    base_url=self.config.base_url,
                    api_version=self.config.api_version,
                    timeout=int(self.config.timeout_s * 1000),
                )
                self._client_instance = genai.Client(api_key=key, http_options=options)
            return self._client_instance

    def classify(self, exc: Exception, what: str, model: str) -> Failure:
        return classify(exc, what, model, self.api_key(), self.clock)

def _offset(seconds: float) -> str:
    return f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"


def _prefix_key(prepared: _Prepared) -> str:
    encoded = json.dumps(
        {
            "model": prepared.model,
            "system": prepared.request.system,
            "prefix": [p.model_dump(mode="json", exclude_none=True) for p in prepared.prefix],
        },
        sort_keys=True,
    )
    return hashlib.sha256(encoded.encode()).hexdigest()


def _enum(value: Any) -> str:
    return str(getattr(value, "value", value))


def _token_counts(usage: types.GenerateContentResponseUsageMetadata | None) -> TokenCounts:
    if usage is None:
        return TokenCounts()

    def audio(details: list[types.ModalityTokenCount] | None) -> int:
        return sum(d.token_count or 0 for d in details or [] if _enum(d.modality) == "AUDIO")

    return TokenCounts(
        prompt=usage.prompt_token_count or 0,
        output=usage.candidates_token_count or 0,
        cached=usage.cached_content_token_count or 0,
        thoughts=usage.thoughts_token_count or 0,
        audio_prompt=audio(usage.prompt_tokens_details),
        audio_cached=audio(usage.cache_tokens_details),
    )


def _finish(response: types.GenerateContentResponse) -> str:
    candidates = response.candidates or []
    return _enum(candidates[0].finish_reason) if candidates else "no candidates"


def _blocked_reason(response: types.GenerateContentResponse) -> str | None:
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        return f"prompt blocked: {_enum(feedback.block_reason)}"
    if response.candidates and _finish(response) in BLOCKED_FINISH_REASONS:
        return f"reply stopped: {_finish(response)}"
    return None
