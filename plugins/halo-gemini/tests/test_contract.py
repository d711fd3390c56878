"""The gemini backend, against the fake Gemini server, honours the LLM backend contract."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from halo_gemini import GeminiBackend

from halo_core.testing.llm_contract import LLMBackendContract, MakeBackend


class TestGeminiHonoursTheLLMBackendContract(LLMBackendContract):
    @pytest.fixture
    def make_backend(self, make_backend: Callable[..., GeminiBackend]) -> MakeBackend:
        return make_backend
