"""The input files a spec runs on: `--input` replaces the spec's `inputs`; globs are expanded;
spec-relative paths are resolved against the spec's folder."""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .problems import Locations, problem


def resolve_inputs(given: Sequence[str], data: dict[str, Any], locations: Locations,
                   spec_dir: Path, problems: list[str]) -> dict[Path, str]:
    """Existing input files, each keyed to where it was named (`--input …` or `file:line:col`)."""
    if given:
        patterns = [(p, f"--input {p}") for p in given]
        return _expand_inputs(patterns, Path.cwd(), problems)
    listed = data.get("inputs")
    patterns = [(p, locations.of(("inputs", i))) for i, p in enumerate(listed or [])
                if isinstance(p, str)] if isinstance(listed, list) else []
    origins = _expand_inputs(patterns, spec_dir.resolve(), problems)
    if listed in (None, []):
        problems.append(problem(locations.of(("inputs",)), "the spec names no inputs",
                                "add `inputs: [video.mp4]` to the spec, or pass --input FILE"))
    return origins


def _expand_inputs(patterns: list[tuple[str, str]], base: Path,
                   problems: list[str]) -> dict[Path, str]:
    """Each (pattern, where) expanded to existing paths, keyed to where they were named."""
    found: dict[Path, str] = {}
    for pattern, where in patterns:
        full = Path(os.path.expanduser(pattern))
        if not full.is_absolute():
            full = base / full
        relative_hint = f" (relative paths are relative to {base})"
        if glob.has_magic(str(full)):
            matches = [Path(m) for m in sorted(glob.glob(str(full), recursive=True))]
            matches = [m for m in matches if m.is_file()]
            if not matches:
                problems.append(problem(where, f"no file matches {pattern!r}{relative_hint}",
                                        "check the pattern, or pass --input FILE"))
            for match in matches:
                found.setdefault(match.resolve(), where)
        elif not full.exists():
            problems.append(problem(where, f"input file not found: {full}",
                                    f"check the path{relative_hint}, or pass --input FILE"))
        else:
            found.setdefault(full.resolve(), where)
    return found
