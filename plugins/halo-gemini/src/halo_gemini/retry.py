"""Which Gemini failures are transient, and the one clear HALO error for the others.

Transient: HTTP 408/429/5xx and transport timeouts or dropped connections; the server's wait is a
Retry-After header or the RetryInfo `retryDelay` in a Google error body. Everything else — a bad
key, an unknown model, an invalid request — becomes a HALO error at once. Every message is
redacted. The retry loop itself is the core's (`halo_core.remote_llm.call_with_retries`).
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from halo_core import ComponentUnavailable, Failure, HaloError, redact, retry_after_header_s

# google.genai (and httpx) are imported when an error is examined, not with this module: the
# backend's registration must stay cheap (see backend.py).
if TYPE_CHECKING:
    from collections.abc import Callable

    from google.genai import errors as genai_errors

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


def is_transient(exc: BaseException) -> bool:
    from google.genai import errors as genai_errors

    if isinstance(exc, genai_errors.APIError):
        return exc.code in TRANSIENT_STATUS
    return isinstance(exc, _transport_errors())


def retry_after_s(exc: BaseException, now: Callable[[], float]) -> float | None:
    """The wait the server asked for: a Retry-After header (seconds, or an HTTP date measured
    from `now()`), else a google.rpc.RetryInfo `retryDelay` ("17s") in the error body."""
    response = getattr(exc, "response", None)
    header = getattr(response, "headers", {}).get("retry-after") if response is not None else None
    if (wait := retry_after_header_s(header, now)) is not None:
        return wait
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
            fix="set llm.with.model / llm.with.escalation_model to an available model "
            "(halo prices lists the known ones), e.g. gemini-3.8-flash",
        )
    return HaloError(
        f"Gemini refused the {what} request ({message})",
        where=f"llm gemini, model {model}",
        fix="this is not retried; check the request options under llm.with",
    )


def classify(exc: Exception, what: str, model: str, key: str | None,
             now: Callable[[], float]) -> Failure:
    """The core retry loop's view of a Gemini failure."""
    if is_transient(exc):
        return Failure(describe(exc, key), transient=True, wait_s=retry_after_s(exc, now))
    return Failure(describe(exc, key), transient=False, fatal=fatal_error(exc, what, model, key))
