"""The `openai` LLM backend: Chat Completions on OpenAI or any OpenAI-compatible server.

One request becomes one `chat.completions.create` call: an optional system message, then one
user message holding what is known about the chunk (time span, speakers, scenes, topics), its
text, and the prompt. There is no video: the core sends this backend transcript text only.

The server is OpenAI's (`https://api.openai.com/v1`, a key required) unless `base_url` (or
OPENAI_BASE_URL) points elsewhere: Ollama, vLLM, llama.cpp's server, LM Studio, which need no key
and cost nothing unless the spec prices their model. Cost comes from the response's `usage` alone:
(prompt − cached)·input + cached·cached_input + completion·output, where completion tokens
already include reasoning tokens (counted once), at the price that applies on the day of the call.
The prompt size for the budget and for `--estimate` is counted locally (~4 characters a token,
plus 3 a message), as Chat Completions has no count endpoint.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr

from halo_core import (
    ComponentUnavailable,
    Failure,
    HaloError,
    LLMRequest,
    LLMResponse,
    ModelPrice,
    RemoteLLMBackend,
    RemoteLLMConfig,
    TokenCounts,
    Usage,
    cost_usd,
    estimate_tokens,
    request_header,
    request_span,
    worst_case_cost_usd,
)

from .errors import classify, probe_problem

# openai is imported where a client is built, so that registering this backend stays fast.
if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletion

log = logging.getLogger("halo.llm.openai")

OPENAI_URL = "https://api.openai.com/v1"
TOKENS_PER_MESSAGE = 3
"""Chat formatting around each message, and priming the reply (OpenAI's published estimate)."""
EXPECTED_REASONING_TOKENS = 64
"""Reasoning tokens a call to a reasoning model is expected to spend (an estimate's assumption:
the fake's figure; report.json has the actual)."""
NO_KEY = "not-needed"
"""What the client sends as the key to a local server that takes none (not a secret)."""


class OpenAIConfig(RemoteLLMConfig):
    api_key: SecretStr | None = Field(
        default=None,
        description="API key, normally `${OPENAI_API_KEY}`; unset: OPENAI_API_KEY. Needed for "
        "OpenAI, not for a local server. Never written to outputs, logs or errors.",
    )
    base_url: str | None = Field(
        default=None,
        description="an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 (Ollama); "
        "unset: OPENAI_BASE_URL, then OpenAI's",
    )
    model: str = Field(default="gpt-6.1-sol", description="model name as the server knows it")
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high"] | None = Field(
        default=None, description="for reasoning models; None: the model's default"
    )


class OpenAIBackend(RemoteLLMBackend[OpenAIConfig]):
    name = "openai"
    version = "1"
    Config = OpenAIConfig
    description = "OpenAI or an OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio)"
    accepts_clips = False
    service = "OpenAI"
    key_env_vars = ("OPENAI_API_KEY",)
    budget_fix = "raise llm.with.max_cost_usd, or choose a cheaper llm.with.model"

    def __init__(self, config: OpenAIConfig | None = None) -> None:
        super().__init__(config)
        self._lock = threading.Lock()
        self._client_instance: openai.OpenAI | None = None
        self._probed: list[str] | None = None

    def __repr__(self) -> str:
        return f"OpenAIBackend(model={self.model!r}, base_url={self.base_url!r})"

    # --- the LLMBackend contract -----------------------------------------------------------

    @property
    def model(self) -> str:
        return self.config.model

    @property
    def base_url(self) -> str:
        configured = self.config.base_url or os.environ.get("OPENAI_BASE_URL", "")
        return (configured or OPENAI_URL).rstrip("/")

    @property
    def is_openai(self) -> bool:
        """True for OpenAI's own API (a key and a price are required there)."""
        return urlparse(self.base_url).hostname == "api.openai.com"

    def check(self) -> list[str]:
        """The key (OpenAI only), a price (OpenAI only; a local model costs 0 unless priced),
        then one GET /models: is the server reachable, and does it serve the model?"""
        problems = []
        lookup = self.find_key()
        if self.is_openai and lookup.problem:
            problems.append(lookup.problem)
        if self.is_openai and self.prices.price(self.model, self.today()) is None:
            problems.append(
                f"no price for model {self.model!r} on {self.today()}: add it under "
                f"llm.with.prices ({{{self.model}: {{standard: {{input: ..., cached_input: ..., "
                "output: ...}}}}}}, USD per 1M tokens)"
            )
        if not problems:
            problems.extend(self._probe())
        return problems

    def identity(self) -> dict[str, Any]:
        """What decides the answers (never the key, budget or retry settings)."""
        options = self.config.model_dump(
            mode="json", include={"model", "max_output_tokens", "reasoning_effort"}
        )
        return {
            "name": self.name,
            "version": self.version,
            "config": {**options, "base_url": self.base_url},
        }

    def count_tokens(self, request: LLMRequest) -> int:
        return sum(
            estimate_tokens(m["content"]) + TOKENS_PER_MESSAGE for m in _messages(request)
        ) + TOKENS_PER_MESSAGE

    def plan(self, request: LLMRequest) -> tuple[str, TokenCounts, ModelPrice | None]:
        model = request.model or self.config.model
        return model, TokenCounts(prompt=self.count_tokens(request)), self._price(model)

    def expected_thinking_tokens(self, model: str) -> int:
        """A model HALO's price table knows (OpenAI's, which reason) or one given a reasoning
        effort is taken to reason; a local model priced by the spec, or unpriced, not."""
        effort = self.config.reasoning_effort
        if effort == "none":
            return 0
        published = self.prices.knows(model) and model not in self.prices.overridden
        return EXPECTED_REASONING_TOKENS if published or effort is not None else 0

    def generate(self, request: LLMRequest) -> LLMResponse:
        model = request.model or self.config.model
        price = self._price(model)
        prompt_tokens = self.count_tokens(request)
        limit = request.max_output_tokens or self.config.max_output_tokens
        worst = worst_case_cost_usd(price, prompt_tokens, limit) if price else 0.0
        self.budget.reserve(
            worst, f"OpenAI-compatible {request.task}, {model}, ~{prompt_tokens} prompt tokens"
        )
        actual = 0.0
        try:
            completion = self.call(
                "chat.completions",
                model,
                lambda: self._client().chat.completions.create(**self._body(request, model, limit)),
            )
            answer = self._response(request, model, price, completion)
            actual = answer.cost_usd
            return answer
        finally:
            self.budget.settle(worst, actual)

    # --- requests and responses ------------------------------------------------------------

    def _body(self, request: LLMRequest, model: str, limit: int) -> dict[str, Any]:
        body: dict[str, Any] = {"model": model, "messages": _messages(request)}
        # OpenAI's reasoning models take max_completion_tokens; local servers know max_tokens.
        body["max_completion_tokens" if self.is_openai else "max_tokens"] = limit
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if self.config.reasoning_effort is not None:
            body["reasoning_effort"] = self.config.reasoning_effort
        return body

    def _price(self, model: str) -> ModelPrice | None:
        """The model's price today; None (cost 0) only for a local model nobody priced."""
        price = self.prices.price(model, self.today())
        if price is None and self.is_openai:
            raise HaloError(
                f"no price for model {model!r} on {self.today()}",
                where="llm openai",
                fix=f"add llm.with.prices.{model}: {{standard: {{input: ..., cached_input: ..., "
                "output: ...}} (USD per 1M tokens)",
            )
        return price

    def _response(
        self,
        request: LLMRequest,
        model: str,
        price: ModelPrice | None,
        completion: ChatCompletion,
    ) -> LLMResponse:
        usage = completion.usage
        prompt = usage.prompt_tokens if usage else 0
        output = usage.completion_tokens if usage else 0
        cached = _detail(usage.prompt_tokens_details if usage else None, "cached_tokens")
        reasoning = _detail(
            usage.completion_tokens_details if usage else None, "reasoning_tokens"
        )
        # completion_tokens includes the reasoning: it is billed once, as `output`
        counts = TokenCounts(prompt=prompt, output=output, cached=cached)
        cost = cost_usd(price, counts) if price is not None else 0.0
        choice = completion.choices[0] if completion.choices else None
        if choice is not None and choice.finish_reason == "content_filter":
            self.budget.charge(cost)  # a filtered reply is still billed
            raise HaloError(
                f"the server filtered the {request.task} reply{request_span(request)}",
                where=f"llm openai, model {model}",
                fix="this is not retried; rephrase the prompt, or use another LLM for this media",
            )
        text = (choice.message.content if choice is not None else None) or ""
        if not text:
            finish = choice.finish_reason if choice is not None else "no choices"
            log.warning("openai %s: empty reply (finish reason %s)", model, finish)
        return LLMResponse(
            text=text,
            model=model,
            usage=Usage(
                input_tokens=prompt,
                output_tokens=output - reasoning,
                cached_tokens=cached,
                thoughts_tokens=reasoning,
            ),
            cost_usd=cost,
        )

    # --- plumbing --------------------------------------------------------------------------

    def _client(self) -> openai.OpenAI:
        import openai

        with self._lock:
            if self._client_instance is None:
                key = self.api_key()
                if key is None and self.is_openai:
                    raise ComponentUnavailable(
                        str(self._key.problem if self._key else "no key"),
                        where="llm openai",
                        fix="set OPENAI_API_KEY, or point llm.with.base_url at a local server",
                    )
                self._client_instance = openai.OpenAI(
                    api_key=key or NO_KEY,
                    base_url=self.base_url,
                    timeout=self.config.timeout_s,
                    max_retries=0,  # retries are ours: Retry-After, backoff, injectable sleep
                )
            return self._client_instance

    def classify(self, exc: Exception, what: str, model: str) -> Failure:
        return classify(exc, what, model, self.api_key(), self.base_url, self.clock)

    def _probe(self) -> list[str]:
        """One GET /models (cheap, no retries, short timeout), remembered: a problem when the
        server cannot be reached or does not list the model."""
        if self._probed is None:
            try:
                client = self._client().with_options(timeout=min(self.config.timeout_s, 10.0))
                served = [m.id for m in client.models.list().data]
            except Exception as exc:  # reported, never raised: check() lists problems
                problem = probe_problem(exc, self.base_url, self.api_key())
                self._probed = [problem] if problem else []
            else:
                self._probed = []
                if self.model not in served:
                    listed = ", ".join(sorted(served)[:12]) or "none"
                    self._probed.append(
                        f"the server at {self.base_url} has no model {self.model!r} (it lists: "
                        f"{listed}); set llm.with.model to one of them"
                    )
        return list(self._probed)


def _messages(request: LLMRequest) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": request.system}] if request.system else []
    user = "\n\n".join(
        t for t in (request_header(request), request.context.strip(), request.prompt) if t
    )
    return [*messages, {"role": "user", "content": user}]


def _detail(details: Any, name: str) -> int:
    """A usage detail the server may not send (local servers often send none)."""
    return int(getattr(details, name, 0) or 0) if details is not None else 0

