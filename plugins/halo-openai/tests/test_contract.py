"""The openai backend, against the fake Chat Completions server, honours the LLM backend contract
(once as OpenAI itself would be called, with a priced model, once as a local server)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from halo_openai import OpenAIBackend

from halo_core.testing.llm_contract import LLMBackendContract, MakeBackend


class TestOpenAIHonoursTheLLMBackendContract(LLMBackendContract):
    @pytest.fixture
    def make_backend(self, make_backend: Callable[..., OpenAIBackend]) -> MakeBackend:
        def make(**options: Any) -> OpenAIBackend:
            return make_backend(**{"model": "gpt-6.1-sol", **options})

        return make


class TestALocalServerHonoursTheLLMBackendContract(LLMBackendContract):
    @pytest.fixture
    def make_backend(self, make_backend: Callable[..., OpenAIBackend]) -> MakeBackend:
        def make(**options: Any) -> OpenAIBackend:
            return make_backend(**{"model": "llama3.2:3b", **options})

        return make
