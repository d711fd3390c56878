"""`${VAR}` and `${VAR:-default}` interpolation from the environment (`$$` is a literal `$`), and
the secrets it takes in: values from the environment, masked by `redact` and written back as their
`${VAR}` text by `restore_raw`."""

from __future__ import annotations

import os
import re
from typing import Any

from .problems import Locations, NodePath, dotted, problem

# Environment values shorter than this are not masked by `redact`: masking every "1" or "on" in
# a log would garble it, and no real secret is that short.
MIN_REDACTED_LENGTH = 4

# Top-level fields holding paths: what is interpolated into them is not treated as a secret.
PATH_FIELDS = {("inputs",), ("outputs",)}

_INTERPOLATION = re.compile(r"\$\$|\$\{([^}]*)\}")
_REFERENCE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$", re.DOTALL)


def redact(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= MIN_REDACTED_LENGTH:
            text = text.replace(secret, "***")
    return text


def _interpolate_text(text: str, where: str, used_in: NodePath, secrets: set[str],
                      problems: list[str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        reference = _REFERENCE.match(match.group(1))
        if reference is None:
            problems.append(problem(where, f"{match.group(0)!r} in {dotted(used_in)} is not a "
                                    "variable reference", "write ${NAME} or ${NAME:-default}"))
            return match.group(0)
        name, default = reference.group(1), reference.group(2)
        value = os.environ.get(name)
        if value is not None and (value or default is None):
            secrets.add(value)
            return value
        if default is not None:
            return default
        problems.append(problem(where, f"environment variable {name} is not set "
                                f"(used in {dotted(used_in)})",
                                f"export {name}=..., or give a default: ${{{name}:-value}}"))
        return ""

    return _INTERPOLATION.sub(substitute, text)


def interpolate(value: Any, path: NodePath, locations: Locations, secrets: set[str],
                raw: dict[NodePath, str], problems: list[str]) -> Any:
    if isinstance(value, dict):
        return {k: interpolate(v, (*path, k), locations, secrets, raw, problems)
                for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, (*path, i), locations, secrets, raw, problems)
                for i, v in enumerate(value)]
    if isinstance(value, str) and "$" in value:
        raw[path] = value
        # Paths (e.g. ${HOME}/videos) are not secrets: masking them would garble every output.
        found: set[str] = set()
        text = _interpolate_text(value, locations.of(path), path, found, problems)
        if path[:1] not in PATH_FIELDS:
            secrets.update(found)
        return text
    return value


def restore_raw(value: Any, path: NodePath, raw: dict[NodePath, str]) -> Any:
    """Put interpolated strings back as written; escape `$` in every other string."""
    if isinstance(value, dict):
        return {k: restore_raw(v, (*path, k), raw) for k, v in value.items()}
    if isinstance(value, list):
        return [restore_raw(v, (*path, i), raw) for i, v in enumerate(value)]
    if isinstance(value, str):
        return raw.get(path, value.replace("$", "$$"))
    return value
