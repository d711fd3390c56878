"""HALO LLM backend `gemini` (google-genai): transcript or video-clip requests with exact cost."""

from .backend import GeminiBackend, GeminiConfig

__all__ = ["GeminiBackend", "GeminiConfig"]
