"""Entry point module: registers the `openai` LLM backend with HALO."""

from __future__ import annotations

from halo_core import hookimpl

from .backend import OpenAIBackend


@hookimpl
def register_llm_backends(register):  # type: ignore[no-untyped-def]
    register(OpenAIBackend)
