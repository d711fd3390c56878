"""What every remote LLM backend needs around its API calls: the key, retries, the budget
(`RemoteLLMBackend` and `RemoteLLMConfig` put them together for a backend to subclass).

- `find_api_key`: the spec's `api_key` (a literal, or `${VAR}` the spec loader left unresolved),
  else the first set environment variable of the backend's list; `redact` removes the key (and
  its URL-encoded form) from any text before it is logged or raised.
- `call_with_retries`: transient failures (the backend's `classify` says which: rate limits,
  5xx, timeouts) are retried with exponential backoff and jitter, or after the wait the server
  asked for (Retry-After); others are raised at once as the HALO error `classify` built. Errors
  are raised outside the `except` block so the client's exception (whose text may echo the
  request) is not chained onto them. The sleep is injectable.
- `CostBudget`: a run's `max_cost_usd`. A call reserves its worst case before it is sent and
  settles to its actual cost after, so concurrent calls cannot overshoot together; a call that
  could take the run past the limit raises `BudgetExceeded` (exit 3, finished work kept).
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, TypeVar

from pydantic import Field, SecretStr, field_validator

from .components import LLMBackend
from .errors import BudgetExceeded, TransientLLMError
from .estimate import CallEstimate, expected_output_tokens
from .model import LLMRequest, LLMResponse
from .prices import (
    ModelPrice,
    PricedConfig,
    TokenCounts,
    cost_usd,
    price_table,
    worst_case_cost_usd,
)
from .prices import today as price_date
from .times import clock, span_label

T = TypeVar("T")
REDACTED = "[redacted]"
_REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


@dataclass(frozen=True)
class KeyLookup:
    key: str | None
    problem: str | None = None

    def __repr__(self) -> str:  # never show the key, even in a debugger or a traceback's locals
        return f"KeyLookup(key={'set' if self.key else None}, problem={self.problem!r})"


def find_api_key(
    configured: SecretStr | None, env_vars: Sequence[str], *, service: str
) -> KeyLookup:
    """The spec's `api_key`, or (when unset or empty, as `${VAR:-}` gives) the first of
    `env_vars` that is set; `problem` says what to set when there is none."""
    value = configured.get_secret_value().strip() if configured is not None else ""
    if value:
        reference = _REFERENCE.match(value)
        if reference is None:
            return KeyLookup(value)
        variable = reference.group(1)
        if os.environ.get(variable, "").strip():
            return KeyLookup(os.environ[variable].strip())
        return KeyLookup(None, f"llm.with.api_key refers to ${{{variable}}}, which is not set")
    for variable in env_vars:
        if os.environ.get(variable, "").strip():
            return KeyLookup(os.environ[variable].strip())
    names = env_vars[0] + "".join(f" (or {v})" for v in env_vars[1:]) if env_vars else ""
    return KeyLookup(
        None,
        f"no {service} API key: set {names}, or `api_key: ${{YOUR_VAR}}` under llm.with "
        "in the spec",
    )


def redact(text: str, key: str | None) -> str:
    """`text` with every occurrence of the key (and of its URL-encoded form) replaced."""
    if not key:
        return text
    for form in {key, key.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")}:
        text = text.replace(form, REDACTED)
    return text


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    initial_delay_s: float = 1.0
    max_delay_s: float = 60.0
    multiplier: float = 2.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def backoff_s(self, retry_number: int) -> float:
        """Delay before retry `retry_number` (1-based): exponential, half of it random."""
        ceiling = min(
            self.max_delay_s, self.initial_delay_s * self.multiplier ** (retry_number - 1)
        )
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)


def retry_after_header_s(value: str | None, now: Callable[[], float]) -> float | None:
    """A Retry-After header's wait: delta-seconds, or an HTTP date less `now()` (wall clock)."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now())


@dataclass(frozen=True)
class Failure:
    """What a backend's `classify` makes of an exception from its client."""

    message: str
    """What went wrong, already redacted."""
    transient: bool
    wait_s: float | None = None
    """The wait the server asked for, when it did."""
    fatal: BaseException | None = None
    """The HALO error to raise at once, for a failure that is not transient."""


def call_with_retries(
    operation: Callable[[], T],
    policy: RetryPolicy,
    *,
    classify: Callable[[Exception], Failure],
    service: str,
    what: str,
    model: str,
    log: logging.Logger,
    sleep: Callable[[float], Any] = time.sleep,
) -> T:
    """`operation()`, retried while `classify` calls its failures transient."""
    started = time.monotonic()
    message = ""
    for attempt in range(1, policy.max_attempts + 1):
        failure: Failure | None = None
        try:
            return operation()
        except Exception as exc:  # raised below, outside this block, unchained
            failure = classify(exc)
        if failure.fatal is not None or not failure.transient:
            raise failure.fatal or TransientLLMError(failure.message)
        message = failure.message
        if attempt == policy.max_attempts:
            break
        delay = failure.wait_s if failure.wait_s is not None else policy.backoff_s(attempt)
        log.warning(
            "%s %s (%s): %s; retry %d/%d in %.1f s",
            service.lower(),
            what,
            model,
            message,
            attempt,
            policy.max_attempts - 1,
            delay,
        )
        sleep(delay)
    raise TransientLLMError(
        f"{service} {what} ({model}) still failing after {policy.max_attempts} attempts over "
        f"{time.monotonic() - started:.0f} s: {message}"
    )


class CostBudget:
    """A run's `max_cost_usd` across concurrent calls (see the module doc)."""

    def __init__(self, limit_usd: float | None, *, where: str, fix: str) -> None:
        self.limit_usd = limit_usd
        self.where, self.fix = where, fix
        self.spent_usd = 0.0
        self.reserved_usd = 0.0
        self._lock = threading.Lock()

    def reserve(self, worst_usd: float, call: str) -> None:
        """Hold `worst_usd` for a call described by `call`, or raise `BudgetExceeded`."""
        with self._lock:
            committed = self.spent_usd + self.reserved_usd
            if self.limit_usd is not None and committed + worst_usd > self.limit_usd:
                in_flight = (
                    f" (${self.reserved_usd:.4f} in flight)" if self.reserved_usd else ""
                )
                raise BudgetExceeded(
                    f"the next call ({call}) could cost up to ${worst_usd:.4f}; "
                    f"${self.spent_usd:.4f} spent of the ${self.limit_usd:.4f} budget{in_flight}",
                    where=self.where,
                    fix=self.fix,
                )
            self.reserved_usd += worst_usd

    def settle(self, reserved_usd: float, actual_usd: float) -> None:
        with self._lock:
            self.reserved_usd -= reserved_usd
            self.spent_usd += actual_usd

    def charge(self, actual_usd: float) -> None:
        """Count a cost nothing reserved (a blocked prompt is still billed)."""
        self.settle(0.0, actual_usd)


def request_header(request: LLMRequest) -> str:
    """What a remote model is told about a request beyond its text, one line each: the time
    span(s) of its clips, and `options.speakers` / `scene_cuts` / `topics` when the caller set
    them."""
    lines = []
    if request.clips:
        spans = ", ".join(span_label(c.start, c.end) for c in request.clips)
        lines.append(f"Time span{'s' if len(request.clips) > 1 else ''}: {spans}")
    options = request.options
    if speakers := options.get("speakers"):
        lines.append(f"Speakers: {', '.join(map(str, speakers))}")
    if cuts := options.get("scene_cuts"):
        lines.append(f"Scene changes at: {', '.join(clock(float(t)) for t in cuts)}")
    if topics := options.get("topics"):
        lines.append(f"Topics: {', '.join(map(str, topics))}")
    return "\n".join(lines)


def request_span(request: LLMRequest) -> str:
    """` for [start–end]` of a request's clips, for messages ("" without clips)."""
    if not request.clips:
        return ""
    return f" for {span_label(request.clips[0].start, request.clips[-1].end)}"


class RemoteLLMConfig(PricedConfig):
    """The options every remote LLM backend has (its own config adds the rest)."""

    api_key: SecretStr | None = Field(
        default=None,
        description="API key: a literal or `${VAR}` (unset: the backend's environment "
        "variables). Never written to outputs, logs or errors.",
    )
    base_url: str | None = Field(default=None, description="the API endpoint (proxies, fakes)")
    max_output_tokens: int = Field(
        default=2048, ge=1, description="output allowance (thinking/reasoning included)"
    )
    max_cost_usd: float | None = Field(
        default=None, ge=0, description="run budget: stop before a call that could exceed it"
    )
    max_concurrency: int = Field(
        default=4, ge=1, le=64, description="parallel requests in the per-chunk (map) phase"
    )
    max_attempts: int = Field(default=6, ge=1, description="tries per call on 429/5xx/timeouts")
    initial_backoff_s: float = Field(default=1.0, ge=0, description="first retry delay")
    max_backoff_s: float = Field(default=60.0, ge=0, description="longest backoff between retries")
    timeout_s: float = Field(default=120.0, gt=0, description="per HTTP request")

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value


RC = TypeVar("RC", bound=RemoteLLMConfig)


class RemoteLLMBackend(LLMBackend[RC]):
    """Base of a backend behind an HTTP API: prices by the day of the call (`today`, injectable),
    the key, retried calls (`call`, with an injectable `sleep`), the run's budget, and
    `generate_many` at `max_concurrency` calls at a time. A subclass names its `service`, the
    environment variables its key may come from, what to do when the budget stops it, and how
    its client's failures are classified (`classify`)."""

    service: ClassVar[str]
    key_env_vars: ClassVar[tuple[str, ...]] = ()
    budget_fix: ClassVar[str] = "raise llm.with.max_cost_usd"

    def __init__(self, config: RC | None = None) -> None:
        super().__init__(config)
        self.max_concurrency = self.config.max_concurrency  # type: ignore[misc]  # per instance
        self.prices = price_table(self.config.prices)
        self.today: Callable[[], date] = price_date  # the day whose prices apply
        self.sleep: Callable[[float], Any] = time.sleep
        self.clock: Callable[[], float] = time.time  # what an HTTP-date Retry-After is from
        self.retry_policy = RetryPolicy(
            self.config.max_attempts, self.config.initial_backoff_s, self.config.max_backoff_s
        )
        self.budget = CostBudget(
            self.config.max_cost_usd, where=f"llm {self.name} max_cost_usd", fix=self.budget_fix
        )
        self._key: KeyLookup | None = None

    @property
    def spent_usd(self) -> float:
        """What this backend's calls have cost so far (the budget's measure)."""
        return self.budget.spent_usd

    def find_key(self) -> KeyLookup:
        return find_api_key(self.config.api_key, self.key_env_vars, service=self.service)

    def api_key(self) -> str | None:
        if self._key is None:
            self._key = self.find_key()
        return self._key.key

    def classify(self, exc: Exception, what: str, model: str) -> Failure:
        """Transient or not, the wait asked for, and the HALO error for a fatal failure."""
        raise NotImplementedError

    def call(self, what: str, model: str, operation: Callable[[], T]) -> T:
        return call_with_retries(
            operation,
            self.retry_policy,
            classify=lambda exc: self.classify(exc, what, model),
            service=self.service,
            what=what,
            model=model,
            log=logging.getLogger(f"halo.llm.{self.name}"),
            sleep=self.sleep,
        )

    def plan(self, request: LLMRequest) -> tuple[str, TokenCounts, ModelPrice | None]:
        """The model a request would go to, its prompt's counts (`prompt`, and `audio_prompt`
        where audio is priced apart), and that model's price today."""
        raise NotImplementedError

    def expected_thinking_tokens(self, model: str) -> int:
        """Thinking/reasoning tokens a call is expected to spend (an estimate's assumption)."""
        return 0

    def estimate_call(self, request: LLMRequest) -> CallEstimate:
        """The plan of one call with no generation call: counted prompt, expected output."""
        model, prompt, price = self.plan(request)
        output = expected_output_tokens(
            request, self.config.max_output_tokens, self.expected_thinking_tokens(model)
        )
        counts = TokenCounts(
            prompt=prompt.prompt, output=output, audio_prompt=prompt.audio_prompt
        )
        cost = cost_usd(price, counts) if price else 0.0
        limit = request.max_output_tokens or self.config.max_output_tokens
        worst = worst_case_cost_usd(price, prompt.prompt, limit) if price else 0.0
        return CallEstimate(request.task, model, prompt.prompt, output, cost, worst_usd=worst)

    def generate_many(self, requests: Sequence[LLMRequest]) -> list[LLMResponse]:
        """Answers in order, `max_concurrency` calls at a time."""
        prefix = f"halo-{self.name}"
        with ThreadPoolExecutor(self.max_concurrency, thread_name_prefix=prefix) as pool:
            return list(pool.map(self.generate, requests))
