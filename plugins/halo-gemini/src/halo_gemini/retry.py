"""Retrying transient Gemini failures, and turning the others into one clear HALO error.

Transient: HTTP 408/429/5xx and transport timeouts or dropped connections. They are retried with
exponential backoff and jitter; a server's Retry-After header (or the RetryInfo `retryDelay` in a
Google error body) is honoured instead of the backoff. Everything else — a bad key, an unknown
model, an invalid request — is raised at once. Every message passes through `redact` first, and
errors are raised outside the `except` block so the SDK's exception (whose text may echo the
request) is not chained onto them.
"""

from __future__ import annotations

import email.utils
import functools
import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from halo_core import ComponentUnavailable, HaloError, TransientLLMError

from .keys import redact

# google.genai (and httpx) are imported when an error is examined, not with this module: the
# backend's registration must stay cheap (see backend.py).
if TYPE_CHECKING:
    from google.genai import errors as genai_errors

T = TypeVar("T")

TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@functools.cache
def _transport_errors() -> tuple[type[BaseException], ...]:
    """Timeouts and connection failures of whichever httpx flavour the SDK uses."""
    found: list[type[BaseException]] = []
    for module_name in ("httpx", "httpx2"):
        try:
            module = __import__(module_name)
        except ImportError:
            continue
        for name in ("TimeoutException", "ConnectError", "RemoteProtocolError", "ReadError"):
            if isinstance(cls := getattr(module, name, None), type):
                found.append(cls)
    return tuple(found)


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


def is_transient(exc: BaseException) -> bool:
    from google.genai import errors as genai_errors

    if isinstance(exc, genai_errors.APIError):
        return exc.code in TRANSIENT_STATUS
    return isinstance(exc, _transport_errors())


def retry_after_s(exc: BaseException) -> float | None:
    """The wait the server asked for: a Retry-After header (seconds or HTTP date), else a
    google.rpc.RetryInfo `retryDelay` ("17s") in the error body."""
    response = getattr(exc, "response", None)
    header = getattr(response, "headers", {}).get("retry-after") if response is not None else None
    if header:
        header = header.strip()
        if re.fullmatch(r"\d+(\.\d+)?", header):
            return float(header)
        when = email.utils.parsedate_to_datetime(header)
        if when is not None:
            return max(0.0, when.timestamp() - time.time())
    details = getattr(exc, "details", None)
    error = details.get("error", details) if isinstance(details, dict) else {}
    for item in error.get("details", []) if isinstance(error, dict) else []:
        delay = item.get("retryDelay") if isinstance(item, dict) else None
        if isinstance(delay, str) and (match := re.fullmatch(r"(\d+(?:\.\d+)?)s", delay)):
            return float(match.group(1))
    return None


def describe(exc: BaseException, key: str | None) -> str:
    from google.genai import errors as genai_errors

    if isinstance(exc, genai_errors.APIError):
        text = f"{exc.code} {exc.status or ''}: {exc.message or ''}".replace(" :", ":")
    else:
        text = f"{type(exc).__name__}: {exc}"
    return redact(text.strip(), key)


def _mentions_key(exc: genai_errors.APIError) -> bool:
    text = f"{exc.message} {exc.details}".lower()
    return "api key" in text or "api_key" in text


def fatal_error(exc: BaseException, what: str, model: str, key: str | None) -> BaseException:
    """The HALO error for a failure that retrying cannot fix."""
    from google.genai import errors as genai_errors

    message = describe(exc, key)
    if not isinstance(exc, genai_errors.APIError):
        return HaloError(f"Gemini {what} failed: {message}", where="llm gemini")
    if exc.code in (401, 403) or (exc.code == 400 and _mentions_key(exc)):
        return ComponentUnavailable(
            f"Gemini rejected the API key ({message})",
            where="llm gemini",
            fix="check the key in GEMINI_API_KEY / GOOGLE_API_KEY (or llm.with.api_key) is valid "
            "and has the Generative Language API enabled",
        )
    if exc.code == 404:
        return ComponentUnavailable(
            f"Gemini has no model {model!r} or the resource is gone ({message})",
            where="llm gemini",
            fix="set llm.with.model / llm.with.escalation_model to an available model, "
            "e.g. gemini-2.5-flash or gemini-2.5-pro",
        )
    return HaloError(
        f"Gemini refused the {what} request ({message})",
        where=f"llm gemini, model {model}",
        fix="this is not retried; check the request options under llm.with",
    )


def call_with_retries(
    operation: Callable[[], T],
    policy: RetryPolicy,
    *,
    what: str,
    model: str,
    key: str | None,
    log: logging.Logger,
    sleep: Callable[[float], Any] = time.sleep,
) -> T:
    started = time.monotonic()
    for attempt in range(1, policy.max_attempts + 1):
        fatal: BaseException | None = None
        try:
            return operation()
        except Exception as exc:  # the error is raised below, outside this block, unchained
            message = describe(exc, key)
            wait = retry_after_s(exc)
            if not is_transient(exc):
                fatal = fatal_error(exc, what, model, key)
        if fatal is not None:
            raise fatal
        if attempt == policy.max_attempts:
            break
        delay = wait if wait is not None else policy.backoff_s(attempt)
        log.warning(
            "gemini %s (%s): %s; retry %d/%d in %.1f s",
            what,
            model,
            message,
            attempt,
            policy.max_attempts - 1,
            delay,
        )
        sleep(delay)
    raise TransientLLMError(
        f"Gemini {what} ({model}) still failing after {policy.max_attempts} attempts over "
        f"{time.monotonic() - started:.0f} s: {message}"
    )
