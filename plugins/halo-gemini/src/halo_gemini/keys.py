"""Finding the API key, and keeping it out of everything HALO writes or raises."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from pydantic import SecretStr

ENV_VARS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
_REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
REDACTED = "[redacted]"


@dataclass(frozen=True)
class KeyLookup:
    key: str | None
    problem: str | None = None

    def __repr__(self) -> str:  # never show the key, even in a debugger or a traceback's locals
        return f"KeyLookup(key={'set' if self.key else None}, problem={self.problem!r})"


def find_api_key(configured: SecretStr | None) -> KeyLookup:
    """The spec's `api_key` (a literal, or `${VAR}` when the spec loader left it unresolved);
    when unset or empty (`${GEMINI_API_KEY:-}`), the first of GEMINI_API_KEY / GOOGLE_API_KEY."""
    value = configured.get_secret_value().strip() if configured is not None else ""
    if value:
        reference = _REFERENCE.match(value)
        if reference is None:
            return KeyLookup(value)
        variable = reference.group(1)
        if os.environ.get(variable, "").strip():
            return KeyLookup(os.environ[variable].strip())
        return KeyLookup(None, f"llm.with.api_key refers to ${{{variable}}}, which is not set")
    for variable in ENV_VARS:
        if os.environ.get(variable, "").strip():
            return KeyLookup(os.environ[variable].strip())
    return KeyLookup(
        None,
        "no Gemini API key: set GEMINI_API_KEY (or GOOGLE_API_KEY), or "
        "`api_key: ${YOUR_VAR}` under llm.with in the spec",
    )


def redact(text: str, key: str | None) -> str:
    """`text` with every occurrence of the key (and of its URL-encoded form) replaced."""
    if not key:
        return text
    for form in {key, key.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")}:
        text = text.replace(form, REDACTED)
    return text
