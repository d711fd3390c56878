"""Every test drives the real `openai` client against the fake Chat Completions server on
127.0.0.1 (halo_openai.fake_server), through `base_url`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from halo_openai import OpenAIBackend, OpenAIConfig
from halo_openai.fake_server import FakeOpenAI

KEY = "sk-fake-test-key-0123456789abcdefABCDEF"
TODAY = date(2026, 11, 29)


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=KEY) as server:
        yield server


@pytest.fixture
def make_backend(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., OpenAIBackend]:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)

    def build(**options: Any) -> OpenAIBackend:
        settings: dict[str, Any] = {
            "base_url": fake.api_url,
            "initial_backoff_s": 0.01,
            "max_backoff_s": 0.05,
        }
        settings.update(options)
        backend = OpenAIBackend(OpenAIConfig.model_validate(settings))
        backend.today = lambda: TODAY
        return backend

    return build
