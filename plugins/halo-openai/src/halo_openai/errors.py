"""Which failures of an OpenAI-compatible server are transient, and clear errors for the rest.

Transient: 408/409/429/5xx, timeouts and failed connections (an unreachable server is retried,
then the run's `llm.fallback` takes over); the server's wait is its Retry-After header. A rejected
key, an unknown model or a refused request becomes a HALO error at once. Every message is
redacted (a server may echo the key).
"""

from __future__ import annotations

from collections.abc import Callable

from halo_core import ComponentUnavailable, Failure, HaloError, redact, retry_after_header_s

TRANSIENT_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


def describe(exc: BaseException, key: str | None) -> str:
    import openai

    if isinstance(exc, openai.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error", body) if isinstance(body, dict) else {}
        message = error.get("message") if isinstance(error, dict) else None
        text = f"{exc.status_code}: {message or exc.message}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return redact(text.strip(), key)


def classify(exc: Exception, what: str, model: str, key: str | None, base_url: str,
             now: Callable[[], float]) -> Failure:
    """The core retry loop's view of an `openai` client failure."""
    import openai

    message = describe(exc, key)
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code in TRANSIENT_STATUS:
            wait = retry_after_header_s(exc.response.headers.get("retry-after"), now)
            return Failure(message, transient=True, wait_s=wait)
        return Failure(message, transient=False, fatal=_fatal(exc, message, what, model, base_url))
    if isinstance(exc, openai.APIConnectionError):  # timeouts included
        return Failure(f"{message} ({base_url})", transient=True)
    return Failure(
        message,
        transient=False,
        fatal=HaloError(f"the {what} call failed: {message}", where=f"llm openai, {base_url}"),
    )


def _fatal(
    exc: BaseException, message: str, what: str, model: str, base_url: str
) -> BaseException:
    import openai

    if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return ComponentUnavailable(
            f"the server at {base_url} rejected the API key ({message})",
            where="llm openai",
            fix="check OPENAI_API_KEY (or llm.with.api_key)",
        )
    if isinstance(exc, openai.NotFoundError):
        return ComponentUnavailable(
            f"the server at {base_url} has no model {model!r} ({message})",
            where="llm openai",
            fix="set llm.with.model to a model the server serves (`halo validate` lists them)",
        )
    return HaloError(
        f"the server refused the {what} request ({message})",
        where=f"llm openai, model {model}",
        fix="this is not retried; check the request options under llm.with",
    )


def probe_problem(exc: BaseException, base_url: str, key: str | None) -> str | None:
    """One sentence for `check()` about a failed GET /models; None when the server merely
    has no such listing (the model is then not checked)."""
    import openai

    if isinstance(exc, openai.NotFoundError):
        return None
    message = describe(exc, key)
    if isinstance(exc, openai.APIConnectionError):
        return (
            f"cannot reach an OpenAI-compatible server at {base_url} ({message}): start it, or "
            "fix llm.with.base_url / OPENAI_BASE_URL"
        )
    if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return f"the server at {base_url} rejected the API key ({message}): check OPENAI_API_KEY"
    return f"the server at {base_url} did not list its models ({message})"
