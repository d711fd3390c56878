"""Scaffolding for loopback fakes of JSON HTTP APIs (the fake Gemini and OpenAI servers).

A fake subclasses `FakeAPI` and says how to name a request's endpoint (`endpoint`), how to
answer it (`handle`), and what its API sends for an injected fault (`fault_reply`). The base
serves it on 127.0.0.1 (a free port unless given), records every request without its
authorization headers, and plays injected faults per endpoint: a status with an optional
Retry-After, and an optional delay before answering (slow responses, for client timeouts).

    with FakeSomething() as fake:          # start() ... stop()
        fake.inject("chat", 429, retry_after="2", times=1)
        client(base_url=fake.base_url) ...
        assert fake.calls("chat")
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Fault:
    endpoint: str
    """An endpoint name the fake gives requests, or `*` for any."""
    status: int = 429
    retry_after: str | None = None
    """A Retry-After header value."""
    delay_s: float = 0.0
    """Wait this long before answering (a status of 200 then answers normally, only late)."""
    times: int = 1
    details: dict[str, Any] = field(default_factory=dict)
    """API-specific extras for `fault_reply` (Gemini's RetryInfo `retryDelay`, ...)."""


@dataclass
class Call:
    """One request as the fake received it."""

    method: str
    path: str
    endpoint: str
    body: Any
    headers: dict[str, str]
    raw: bytes = b""


@dataclass
class Reply:
    status: int
    payload: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """Raised by a fake's `handle` for an error reply (its API's error body in `payload`)."""

    def __init__(self, status: int, payload: dict[str, Any]) -> None:
        super().__init__(json.dumps(payload))
        self.reply = Reply(status, payload)


@dataclass
class FakeAPI:
    """A JSON HTTP API served on 127.0.0.1 in a background thread; see the module doc."""

    requests: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    secret_headers: frozenset[str] = frozenset({"authorization", "x-goog-api-key", "api-key"})
    """Request headers never recorded (the key must not be kept even by a fake)."""
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _server: ThreadingHTTPServer | None = None

    # --- what a fake says ------------------------------------------------------------------

    def endpoint(self, method: str, path: str) -> str:
        """The name faults and `calls` use for a request."""
        raise NotImplementedError

    def handle(self, call: Call) -> Reply:
        """The answer to one request (raise `ApiError` for an error reply)."""
        raise NotImplementedError

    def fault_reply(self, fault: Fault) -> Reply:
        """What the API sends for an injected error status."""
        return Reply(fault.status, {"error": {"code": fault.status, "message": "injected fault"}})

    def record_body(self, call: Call) -> Any:
        """What to keep of a request's body in `requests` (default: the parsed JSON)."""
        return call.body

    # --- lifecycle -------------------------------------------------------------------------

    def start(self, port: int = 0) -> str:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.base_url

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Any:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_until_interrupted(self, port: int, banner: str) -> None:
        """Serve on `port` (a fake's `python -m` entry point), print `banner`, stop on Ctrl-C."""
        self.start(port)
        print(banner, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            self.stop()

    # --- test helpers ----------------------------------------------------------------------

    def inject(
        self,
        endpoint: str,
        status: int = 429,
        *,
        retry_after: str | None = None,
        delay_s: float = 0.0,
        times: int = 1,
        **details: Any,
    ) -> None:
        with self._lock:
            self.faults.append(Fault(endpoint, status, retry_after, delay_s, times, details))

    def calls(self, endpoint: str) -> list[Call]:
        return [r for r in self.requests if r.endpoint == endpoint]

    def take_fault(self, endpoint: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.endpoint in (endpoint, "*"):
                    fault.times -= 1
                    return fault
        return None

    def serve(self, call: Call) -> Reply:
        """Record `call`, play a fault injected for its endpoint, else `handle` it."""
        with self._lock:
            self.requests.append(
                Call(
                    call.method,
                    call.path,
                    call.endpoint,
                    self.record_body(call),
                    {k: v for k, v in call.headers.items() if k not in self.secret_headers},
                )
            )
        fault = self.take_fault(call.endpoint)
        if fault is not None:
            time.sleep(fault.delay_s)  # the server thread waits: the client sees a slow reply
            if fault.status != 200:
                reply = self.fault_reply(fault)
                if fault.retry_after:
                    reply.headers["retry-after"] = fault.retry_after
                return reply
        try:
            return self.handle(call)
        except ApiError as error:
            return error.reply


class _Handler(BaseHTTPRequestHandler):
    fake: FakeAPI
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read `requests`
        return None

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in self.headers.items()}
        endpoint = self.fake.endpoint(self.command, self.path)
        reply = self.fake.serve(Call(self.command, self.path, endpoint, body, headers, raw))
        data = json.dumps(reply.payload).encode()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            return


_NOT_CONTENT = re.compile(
    r"^\s*(?:time spans?|speakers|scene changes at|topics|title)\s*:.*$",
    re.IGNORECASE | re.MULTILINE,
)
_MARKUP = re.compile(r"\[\d+(?::\d\d)+\u2013\d+(?::\d\d)+\]|^\s*[-*]\s+", re.MULTILINE)


def summary_reply(source: str, note: str, token_limit: int, chars_per_token: int = 4) -> str:
    """A deterministic reply in the shape HALO's prompts ask for: a title, a paragraph drawn from
    `source` (without headers, timestamps or bullets), and key points, then `note` as the last
    point; clipped to `token_limit` tokens of `chars_per_token` characters."""
    source = _MARKUP.sub(" ", _NOT_CONTENT.sub(" ", source))
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", source) if len(s.strip()) > 20]
    unique = list(dict.fromkeys(" ".join(s.split()) for s in sentences))
    title = " ".join(unique[0].split()[:5]).rstrip(",.;:") if unique else "Video segment"
    body = " ".join(unique[:2]) if unique else "A part of the video."
    points = "".join(f"\n- {s}" for s in unique[2:5])
    reply = f"Title: {title}\n{body}{points}\n- ({note})"
    return reply[: max(1, token_limit) * chars_per_token]
