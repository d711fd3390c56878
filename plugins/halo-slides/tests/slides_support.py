"""Constants and helpers the tests share (a uniquely named module: plugin test folders share
one interpreter when all plugins are tested together)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


def truth(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}-truth.json").read_text())


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.casefold())


def recall(expected: str, got: str) -> float:
    want = words(expected)
    have = set(words(got))
    return sum(w in have for w in want) / max(1, len(want))
