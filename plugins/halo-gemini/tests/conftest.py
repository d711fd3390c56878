"""Every test drives the real google-genai client against the fake Gemini REST server on
127.0.0.1 (halo_gemini.fake_server), through `base_url`. Media: the repository's sample lecture
(samples/lecture/lecture.mp4, 148.8 s), so no fixture files are needed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from halo_gemini import GeminiBackend, GeminiConfig
from halo_gemini.fake_server import FakeGemini

from halo_core import Media, MediaClip, probe

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "lecture" / "lecture.mp4"
KEY = "AIzaFAKE-test-key-0123456789abcdef"
TODAY = date(2026, 11, 29)
"""The day whose prices the tests' backends use (gemini-2.5-pro's changes on 2026-12-01)."""


@pytest.fixture
def fake() -> Iterator[FakeGemini]:
    with FakeGemini(api_key=KEY, processing_polls=1, batch_polls=1) as server:
        yield server


@pytest.fixture(scope="session")
def lecture() -> Media:
    return probe(SAMPLE)


@pytest.fixture(scope="session")
def clip() -> Callable[[Media, float, float], MediaClip]:
    def make(media: Media, start: float, end: float) -> MediaClip:
        return MediaClip(path=media.path, sha256=media.sha256, start=start, end=end)

    return make


@pytest.fixture(scope="session")
def api_key() -> str:
    return KEY


@pytest.fixture
def make_backend(
    fake: FakeGemini, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[..., GeminiBackend]:
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)

    def build(**options: Any) -> GeminiBackend:
        settings: dict[str, Any] = {
            # the 2.5 pair most tests were written for; test_gemini3.py covers the defaults
            "model": "gemini-2.5-flash",
            "escalation_model": "gemini-2.5-pro",
            "escalate_levels": ["video"],
            "base_url": fake.base_url,
            "state_path": str(tmp_path / "files.json"),
            "initial_backoff_s": 0.01,
            "max_backoff_s": 0.05,
            "upload_poll_s": 0.01,
            "batch_poll_s": 0.01,
        }
        settings.update(options)
        backend = GeminiBackend(GeminiConfig.model_validate(settings))
        backend.today = lambda: TODAY
        return backend

    return build
