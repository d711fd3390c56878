"""HALO LLM backend `openai`: OpenAI and OpenAI-compatible servers through the official client."""

from .backend import OpenAIBackend, OpenAIConfig

__all__ = ["OpenAIBackend", "OpenAIConfig"]
