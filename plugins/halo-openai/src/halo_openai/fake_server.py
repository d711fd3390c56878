"""A fake OpenAI-compatible Chat Completions server on 127.0.0.1, for tests and offline runs.

It answers what the official `openai` client sends: `POST /v1/chat/completions` (non-streaming)
and `GET /v1/models`, with bodies and `usage` as OpenAI sends them — `prompt_tokens_details.
cached_tokens` for a prompt whose opening (1024 tokens or more, in steps of 128) it has seen
before, and `completion_tokens_details.reasoning_tokens` inside `completion_tokens` for the
models in `reasoning_models`. With `details=False` it answers as a local server (Ollama,
llama.cpp) does: usage with the three totals only. Tokens: ~4 characters a token, plus 3 per
message and 3 to prime the reply. Replies are deterministic text built from the request. Faults
(429 with Retry-After, 500, slow responses) can be injected per endpoint (`chat`, `models`).
Everything served is in `ledger`.

    python -m halo_openai.fake_server --port 8766 [--key SECRET] [--model NAME ...]
    halo run SPEC --set llm.use=openai --set llm.with.base_url=http://127.0.0.1:8766/v1 \\
        --set llm.with.model=NAME

`GET /_fake/ledger` returns the accounting as JSON.
"""

from __future__ import annotations

import argparse
import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from halo_core.testing.fake_http import ApiError, Call, FakeAPI, Fault, Reply, summary_reply

CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 3
CACHE_MIN_TOKENS = 1024
CACHE_STEP_TOKENS = 128
REASONING_TOKENS = 64
"""Reasoning tokens a reasoning model reports (inside completion_tokens), at most half the limit."""


@dataclass
class LedgerEntry:
    model: str
    prompt: int
    completion: int
    cached: int = 0
    reasoning: int = 0


@dataclass
class FakeOpenAI(FakeAPI):
    """The server's state; `start()` serves it on a free loopback port (`base_url` + "/v1")."""

    api_key: str | None = None
    models: tuple[str, ...] = ("gpt-6.1-sol", "gpt-6.2-sol", "llama3.2:3b")
    reasoning_models: tuple[str, ...] = ("gpt-6.1-sol", "gpt-6.2-sol")
    details: bool = True
    """Send prompt/completion token details (OpenAI) or only the totals (a local server)."""
    ledger: list[LedgerEntry] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    """The most chat requests it was answering at once (bounded concurrency is observable)."""
    _seen: dict[str, list[str]] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v1"

    def totals(self) -> dict[str, Any]:
        return {
            "requests": len(self.ledger),
            "prompt_tokens": sum(e.prompt for e in self.ledger),
            "cached_tokens": sum(e.cached for e in self.ledger),
            "completion_tokens": sum(e.completion for e in self.ledger),
            "reasoning_tokens": sum(e.reasoning for e in self.ledger),
        }

    # --- FakeAPI ---------------------------------------------------------------------------

    def serve(self, call: Call) -> Reply:
        """Counts chat requests in flight, injected delays included."""
        if call.endpoint != "chat":
            return super().serve(call)
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return super().serve(call)
        finally:
            with self._lock:
                self.in_flight -= 1

    def endpoint(self, method: str, path: str) -> str:
        route = path.split("?")[0].rstrip("/")
        if route == "/_fake/ledger":
            return "ledger"
        if route.endswith("/chat/completions"):
            return "chat"
        if route.endswith("/models"):
            return "models"
        return route

    def fault_reply(self, fault: Fault) -> Reply:
        if fault.status == 429:
            error = {
                "message": "Rate limit reached for requests. Please try again later.",
                "type": "requests",
                "param": None,
                "code": "rate_limit_exceeded",
            }
        else:
            error = {
                "message": "The server had an error while processing your request.",
                "type": "server_error",
                "param": None,
                "code": None,
            }
        return Reply(fault.status, {"error": error})

    def handle(self, call: Call) -> Reply:
        if call.endpoint == "ledger":
            ledger = [e.__dict__ for e in self.ledger]
            return Reply(200, {"totals": self.totals(), "ledger": ledger})
        self._authorize(call.headers.get("authorization", ""))
        if call.endpoint == "models" and call.method == "GET":
            return Reply(200, {"object": "list", "data": [_model(m) for m in self.models]})
        if call.endpoint == "chat" and call.method == "POST":
            return Reply(200, self.complete(call.body or {}))
        raise ApiError(404, _error(f"Unknown request URL: {call.method} {call.path}", None))

    # --- the API ---------------------------------------------------------------------------

    def _authorize(self, header: str) -> None:
        sent = header.removeprefix("Bearer ").strip()
        if self.api_key is not None and sent != self.api_key:
            # OpenAI echoes a masked key; a proxy may echo it whole: the client must redact it.
            raise ApiError(
                401, _error(f"Incorrect API key provided: {sent}.", "invalid_api_key")
            )

    def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        model = str(body.get("model", ""))
        if model not in self.models:
            raise ApiError(
                404,
                _error(
                    f"The model `{model}` does not exist or you do not have access to it.",
                    "model_not_found",
                ),
            )
        messages = body.get("messages", [])
        prompt = prompt_tokens(messages)
        cached = self._cached(model, _flat(messages), prompt)
        limit = int(body.get("max_completion_tokens") or body.get("max_tokens") or 4096)
        reasoning = min(REASONING_TOKENS, limit // 2) if model in self.reasoning_models else 0
        user = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
        reply = summary_reply(
            str(user), f"fake OpenAI reply to {prompt} prompt tokens", limit - reasoning
        )
        answer_tokens = math.ceil(len(reply) / CHARS_PER_TOKEN)
        completion = answer_tokens + reasoning
        with self._lock:
            self.ledger.append(LedgerEntry(model, prompt, completion, cached, reasoning))
        usage: dict[str, Any] = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        if self.details:
            usage["prompt_tokens_details"] = {"cached_tokens": cached, "audio_tokens": 0}
            usage["completion_tokens_details"] = {
                "reasoning_tokens": reasoning,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            }
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "length" if answer_tokens >= limit - reasoning else "stop",
                }
            ],
            "usage": usage,
            "system_fingerprint": "fp_fake",
        }

    def _cached(self, model: str, text: str, prompt: int) -> int:
        """Automatic prompt caching: the longest opening shared with an earlier prompt to the
        same model, when at least CACHE_MIN_TOKENS, rounded down to CACHE_STEP_TOKENS."""
        with self._lock:
            seen = self._seen.setdefault(model, [])
            shared = max((_common_prefix(text, old) for old in seen), default=0)
            seen.append(text)
        tokens = min(shared // CHARS_PER_TOKEN, prompt)
        if tokens < CACHE_MIN_TOKENS:
            return 0
        return tokens // CACHE_STEP_TOKENS * CACHE_STEP_TOKENS


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    """~4 characters a token per message, plus 3 a message and 3 priming the reply."""
    return sum(
        math.ceil(len(str(m.get("content") or "")) / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE
        for m in messages
    ) + TOKENS_PER_MESSAGE


def _flat(messages: list[dict[str, Any]]) -> str:
    return "\n".join(f"{m.get('role')}:{m.get('content')}" for m in messages)


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def _model(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 1_780_000_000, "owned_by": "fake"}


def _error(message: str, code: str | None) -> dict[str, Any]:
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--key", default=None, help="accept only this API key (default: any)")
    parser.add_argument("--model", action="append", default=None, help="a model it serves")
    parser.add_argument("--local", action="store_true", help="usage without token details")
    args = parser.parse_args()
    fake = FakeOpenAI(api_key=args.key, details=not args.local)
    if args.model:
        fake.models = tuple(args.model)
    url = f"http://127.0.0.1:{args.port}"
    fake.serve_until_interrupted(
        args.port,
        f"fake OpenAI-compatible API on {url}/v1 (GET {url}/_fake/ledger for accounting); "
        "Ctrl-C stops it",
    )


if __name__ == "__main__":
    main()
