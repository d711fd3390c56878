"""Registration, `check()` (no network), key lookup, and the core's fallback chain."""

from __future__ import annotations

import pytest
from halo_gemini import GeminiBackend, GeminiConfig

from halo_core import build, get_registry, load_stored_spec


@pytest.fixture
def no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)


def test_the_plugin_registers_the_gemini_backend() -> None:
    info = get_registry().get("llm", "gemini")
    assert info.cls is GeminiBackend and info.distribution == "halo-gemini"


def test_check_reports_a_missing_key(no_key: None) -> None:
    problems = GeminiBackend().check()
    assert len(problems) == 1 and "GEMINI_API_KEY" in problems[0]


def test_check_follows_a_key_reference_in_the_spec(no_key: None, monkeypatch) -> None:
    backend = GeminiBackend(GeminiConfig.model_validate({"api_key": "${MY_GEMINI_KEY}"}))
    assert backend.check() == ["llm.with.api_key refers to ${MY_GEMINI_KEY}, which is not set"]
    monkeypatch.setenv("MY_GEMINI_KEY", "AIza-from-my-var")
    assert backend.check() == []


def test_check_reports_a_model_without_a_price(monkeypatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "x")
    problems = GeminiBackend(GeminiConfig(model="gemini-7")).check()
    assert problems and "no price for model 'gemini-7'" in problems[0]


def test_max_concurrency_is_per_instance() -> None:
    assert GeminiBackend(GeminiConfig(max_concurrency=7)).max_concurrency == 7
    assert GeminiBackend().max_concurrency == 4


def test_the_key_is_not_part_of_identity_or_dumps(monkeypatch) -> None:
    secret = "AIza-literal-in-spec-123"
    backend = GeminiBackend(GeminiConfig.model_validate({"api_key": secret}))
    assert backend.check() == []
    assert secret not in repr(backend.config) + str(backend.identity())
    assert secret not in backend.config.model_dump_json()


def test_without_a_key_the_spec_fails_clearly_or_falls_back(no_key: None, tmp_path) -> None:
    [problem] = build(load_stored_spec({"name": "t", "llm": {"use": "gemini"}}, tmp_path))
    assert "llm 'gemini' (halo-gemini): no Gemini API key" in problem
    assert "fallback: [extractive]" in problem
    chained = {"name": "t", "llm": {"use": "gemini", "fallback": ["extractive"]}}
    pipeline = build(load_stored_spec(chained, tmp_path))
    assert not isinstance(pipeline, list)
    assert pipeline.llm.name == "extractive"
    assert "llm 'gemini' cannot run here (no Gemini API key" in pipeline.notices[0]
    assert "falling back" in pipeline.notices[0]
    pipeline.close()
