"""Entry point module: registers the `gemini` LLM backend with HALO."""

from __future__ import annotations

from halo_core import hookimpl

from .backend import GeminiBackend


@hookimpl
def register_llm_backends(register):  # type: ignore[no-untyped-def]
    register(GeminiBackend)
