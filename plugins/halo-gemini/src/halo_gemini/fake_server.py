"""A fake Gemini REST API on 127.0.0.1, for tests and offline end-to-end runs.

It speaks the wire protocol the real google-genai client uses (paths, headers, JSON shapes as sent
by google-genai 3.4.0): generateContent, countTokens, the resumable Files upload (start, then
upload/finalize, then files.get moving PROCESSING → ACTIVE), cachedContents and batches
(create/get with inlined responses). Tokens are counted by Gemini's published rates for the 2.5
models: video sampled at the request's fps with 258 tokens per frame (66 at low media
resolution), 32 tokens per second of audio, text about 4 characters per token. Replies are
deterministic text built from the request. Faults (429 with Retry-After, 500, slow responses) can
be injected per endpoint. Everything it served is in `ledger` for accounting.

    python -m halo_gemini.fake_server --port 8765 [--key SECRET]
    halo run SPEC --set llm.use=gemini --set llm.with.base_url=http://127.0.0.1:8765

`GET /_fake/ledger` returns the accounting as JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

VIDEO_TOKENS_PER_FRAME = {"default": 258, "low": 66}
AUDIO_TOKENS_PER_S = 32
CHARS_PER_TOKEN = 4
KNOWN_MODELS = frozenset({"gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite"})
THOUGHTS_WHEN_THINKING = 64
"""Thinking tokens the fake reports when the request does not turn thinking off."""
MAX_INPUT_TOKENS = 1_048_576
"""The 2.5 models' input context: a longer prompt is refused, as the real API does."""
BLOCK_TRIGGER = "[[fake:block]]"
"""A prompt containing this is blocked for SAFETY, as the real API does for unsafe prompts."""


@dataclass
class Fault:
    endpoint: str
    """generateContent, countTokens, upload, files.get, cachedContents, batches, or `*` (any)."""
    status: int = 429
    retry_after: str | None = None
    """A Retry-After header value."""
    retry_delay: str | None = None
    """A google.rpc.RetryInfo `retryDelay` in the error body ("7s"), as Gemini sends with 429."""
    delay_s: float = 0.0
    times: int = 1


@dataclass
class Recorded:
    method: str
    path: str
    endpoint: str
    body: Any
    headers: dict[str, str]


@dataclass
class StoredFile:
    name: str
    mime_type: str
    size: int
    sha256: str
    duration: float
    polls_left: int


@dataclass
class LedgerEntry:
    endpoint: str
    model: str
    prompt: int
    candidates: int = 0
    cached: int = 0
    thoughts: int = 0
    video: int = 0
    audio: int = 0
    text: int = 0
    batch: bool = False


@dataclass
class FakeGemini:
    """The server's state; `start()` serves it on a free loopback port."""

    api_key: str | None = None
    processing_polls: int = 1
    """files.get answers PROCESSING this many times before ACTIVE."""
    batch_polls: int = 1
    """batches.get answers RUNNING this many times before SUCCEEDED."""
    requests: list[Recorded] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    files: dict[str, StoredFile] = field(default_factory=dict)
    caches: dict[str, dict[str, Any]] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    _uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _dir: tempfile.TemporaryDirectory[str] | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self, port: int = 0) -> str:
        self._dir = tempfile.TemporaryDirectory(prefix="fake-gemini-")
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
        if self._dir is not None:
            self._dir.cleanup()

    def __enter__(self) -> FakeGemini:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- test helpers ----------------------------------------------------------------------

    def inject(
        self,
        endpoint: str,
        status: int = 429,
        *,
        retry_after: str | None = None,
        retry_delay: str | None = None,
        delay_s: float = 0.0,
        times: int = 1,
    ) -> None:
        with self._lock:
            self.faults.append(Fault(endpoint, status, retry_after, retry_delay, delay_s, times))

    def calls(self, endpoint: str) -> list[Recorded]:
        return [r for r in self.requests if r.endpoint == endpoint]

    def totals(self) -> dict[str, Any]:
        """Requests by endpoint, and token sums over everything generated (batch included)."""
        generated = [e for e in self.ledger if e.endpoint == "generateContent"]
        return {
            "requests": dict(Counter(r.endpoint for r in self.requests)),
            "generate_requests": len(generated),
            "prompt_tokens": sum(e.prompt for e in generated),
            "cached_tokens": sum(e.cached for e in generated),
            "candidates_tokens": sum(e.candidates for e in generated),
            "thoughts_tokens": sum(e.thoughts for e in generated),
            "cache_created_tokens": sum(
                e.prompt for e in self.ledger if e.endpoint == "cachedContents"
            ),
            "by_model": dict(Counter(e.model for e in generated)),
        }

    # --- token accounting ------------------------------------------------------------------

    def count(
        self, contents: list[dict[str, Any]], system: dict[str, Any] | None, resolution: str
    ) -> Counter[str]:
        """Tokens by modality (TEXT, VIDEO, AUDIO) of contents and a system instruction."""
        tokens: Counter[str] = Counter()
        for part in [p for c in contents for p in c.get("parts", [])] + (system or {}).get(
            "parts", []
        ):
            if "text" in part:
                tokens["TEXT"] += math.ceil(len(part["text"]) / CHARS_PER_TOKEN)
            elif (data := _get(part, "fileData", "file_data")) is not None:
                stored = self._file_for_uri(_get(data, "fileUri", "file_uri"))
                meta = _get(part, "videoMetadata", "video_metadata") or {}
                start = _seconds(_get(meta, "startOffset", "start_offset"), 0.0)
                end = min(
                    _seconds(_get(meta, "endOffset", "end_offset"), stored.duration),
                    stored.duration,
                )
                fps = float(meta.get("fps", 1.0))
                seconds = max(0.0, end - start)
                tokens["VIDEO"] += math.ceil(seconds * fps) * VIDEO_TOKENS_PER_FRAME[resolution]
                tokens["AUDIO"] += math.ceil(seconds * AUDIO_TOKENS_PER_S)
        return tokens

    def _file_for_uri(self, uri: str | None) -> StoredFile:
        name = "files/" + str(uri).rsplit("files/", 1)[-1]
        if name not in self.files:
            raise _ApiError(
                400, "INVALID_ARGUMENT", f"File {name} does not exist or is not ACTIVE."
            )
        stored = self.files[name]
        if stored.polls_left > 0:
            raise _ApiError(400, "FAILED_PRECONDITION", f"File {name} is not in an ACTIVE state.")
        return stored

    # --- endpoints -------------------------------------------------------------------------

    def generate(self, model: str, body: dict[str, Any], *, batch: bool = False) -> dict[str, Any]:
        _check_model(model)
        config = body.get("generationConfig", {})
        resolution = "low" if config.get("mediaResolution") == "MEDIA_RESOLUTION_LOW" else "default"
        contents = body.get("contents", [])
        tokens = self.count(contents, body.get("systemInstruction"), resolution)
        cached: Counter[str] = Counter()
        if name := body.get("cachedContent"):
            if name not in self.caches:
                raise _ApiError(404, "NOT_FOUND", f"CachedContent not found: {name}")
            cached = Counter(self.caches[name]["tokens"])
        prompt = tokens + cached
        if sum(prompt.values()) > MAX_INPUT_TOKENS:
            raise _ApiError(
                400,
                "INVALID_ARGUMENT",
                f"The input token count ({sum(prompt.values())}) exceeds the maximum "
                f"number of tokens allowed ({MAX_INPUT_TOKENS}).",
            )
        question = " ".join(p.get("text", "") for c in contents for p in c.get("parts", []))
        if BLOCK_TRIGGER in question:
            entry = LedgerEntry("generateContent", model, sum(prompt.values()), batch=batch)
            self.ledger.append(entry)
            return {
                "promptFeedback": {"blockReason": "SAFETY"},
                "usageMetadata": _usage(prompt, cached, 0, 0),
                "modelVersion": model,
            }
        limit = int(config.get("maxOutputTokens", 8192))
        thinking = _get(config.get("thinkingConfig", {}), "thinkingBudget", "thinking_budget")
        thoughts = 0 if thinking == 0 else min(THOUGHTS_WHEN_THINKING, limit // 2)
        reply = _reply(contents, prompt, limit - thoughts)
        candidates = math.ceil(len(reply) / CHARS_PER_TOKEN)
        self.ledger.append(
            LedgerEntry(
                "generateContent",
                model,
                sum(prompt.values()),
                candidates,
                sum(cached.values()),
                thoughts,
                prompt["VIDEO"],
                prompt["AUDIO"],
                prompt["TEXT"],
                batch,
            )
        )
        return {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": reply}]},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": _usage(prompt, cached, candidates, thoughts),
            "modelVersion": model,
            "responseId": uuid.uuid4().hex[:12],
        }

    def count_tokens(self, model: str, body: dict[str, Any]) -> dict[str, Any]:
        _check_model(model)
        tokens = self.count(body.get("contents", []), None, "default")
        return {
            "totalTokens": sum(tokens.values()),
            "promptTokensDetails": [{"modality": m, "tokenCount": n} for m, n in tokens.items()],
        }

    def create_cache(self, body: dict[str, Any]) -> dict[str, Any]:
        model = str(body.get("model", "")).removeprefix("models/")
        _check_model(model)
        tokens = self.count(body.get("contents", []), body.get("systemInstruction"), "default")
        minimum = 4096 if "pro" in model else 1024
        if sum(tokens.values()) < minimum:
            raise _ApiError(
                400,
                "INVALID_ARGUMENT",
                f"Cached content is too small. total_token_count={sum(tokens.values())}, "
                f"min_total_token_count={minimum}",
            )
        name = f"cachedContents/{uuid.uuid4().hex[:12]}"
        ttl = _seconds(body.get("ttl"), 3600.0)
        self.caches[name] = {"tokens": dict(tokens), "model": model, "ttl": ttl}
        self.ledger.append(
            LedgerEntry(
                "cachedContents",
                model,
                sum(tokens.values()),
                video=tokens["VIDEO"],
                audio=tokens["AUDIO"],
                text=tokens["TEXT"],
            )
        )
        return {
            "name": name,
            "model": f"models/{model}",
            "displayName": body.get("displayName", ""),
            "usageMetadata": {"totalTokenCount": sum(tokens.values())},
            "expireTime": _rfc3339(time.time() + ttl),
        }

    def create_batch(self, model: str, body: dict[str, Any]) -> dict[str, Any]:
        _check_model(model)
        items = body["batch"]["inputConfig"]["requests"]["requests"]
        responses = []
        for item in items:
            try:
                answer: dict[str, Any] = {
                    "response": self.generate(model, item["request"], batch=True)
                }
            except _ApiError as error:
                answer = {"error": {"code": error.code, "message": error.message}}
            responses.append({**answer, "metadata": item.get("metadata", {})})
        name = f"batches/{uuid.uuid4().hex[:12]}"
        self.batches[name] = {
            "model": model,
            "responses": responses,
            "polls_left": self.batch_polls,
        }
        return self._batch_view(name, "BATCH_STATE_PENDING")

    def get_batch(self, name: str) -> dict[str, Any]:
        if name not in self.batches:
            raise _ApiError(404, "NOT_FOUND", f"Batch {name} not found")
        job = self.batches[name]
        if job["polls_left"] > 0:
            job["polls_left"] -= 1
            return self._batch_view(name, "BATCH_STATE_RUNNING")
        return self._batch_view(name, "BATCH_STATE_SUCCEEDED")

    def _batch_view(self, name: str, state: str) -> dict[str, Any]:
        job = self.batches[name]
        metadata: dict[str, Any] = {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
            "name": name,
            "model": f"models/{job['model']}",
            "state": state,
        }
        if state == "BATCH_STATE_SUCCEEDED":
            metadata["output"] = {"inlinedResponses": {"inlinedResponses": job["responses"]}}
        return {"name": name, "metadata": metadata, "done": state == "BATCH_STATE_SUCCEEDED"}

    def start_upload(
        self, host: str, version: str, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        upload_id = uuid.uuid4().hex[:16]
        file = body.get("file", {})
        self._uploads[upload_id] = {
            "data": bytearray(),
            "mime_type": headers.get("x-goog-upload-header-content-type")
            or _get(file, "mimeType", "mime_type")
            or "application/octet-stream",
            "display_name": _get(file, "displayName", "display_name") or "",
        }
        url = f"http://{host}/upload/{version}/files?upload_id={upload_id}"
        return {}, {"x-goog-upload-url": url, "x-goog-upload-status": "active"}

    def continue_upload(
        self, upload_id: str, command: str, data: bytes
    ) -> tuple[dict[str, Any], dict[str, str]]:
        session = self._uploads.get(upload_id)
        if session is None:
            raise _ApiError(404, "NOT_FOUND", "upload session not found")
        session["data"].extend(data)
        if "finalize" not in command:
            return {}, {"x-goog-upload-status": "active"}
        del self._uploads[upload_id]
        assert self._dir is not None
        name = f"files/{uuid.uuid4().hex[:12]}"
        path = Path(self._dir.name) / name.replace("/", "_")
        path.write_bytes(session["data"])
        stored = StoredFile(
            name,
            session["mime_type"],
            len(session["data"]),
            hashlib.sha256(session["data"]).hexdigest(),
            _duration(path),
            self.processing_polls,
        )
        self.files[name] = stored
        return {"file": self._file_view(stored)}, {"x-goog-upload-status": "final"}

    def get_file(self, name: str) -> dict[str, Any]:
        if name not in self.files:
            raise _ApiError(
                403,
                "PERMISSION_DENIED",
                f"You do not have permission to access the File {name} or it may not exist.",
            )
        stored = self.files[name]
        view = self._file_view(stored)
        if stored.polls_left > 0:
            stored.polls_left -= 1
        return view

    def _file_view(self, stored: StoredFile) -> dict[str, Any]:
        return {
            "name": stored.name,
            "mimeType": stored.mime_type,
            "sizeBytes": str(stored.size),
            "sha256Hash": stored.sha256,
            "uri": f"{self.base_url}/v1beta/{stored.name}",
            "state": "PROCESSING" if stored.polls_left > 0 else "ACTIVE",
            "expirationTime": _rfc3339(time.time() + 48 * 3600),
            "videoMetadata": {"videoDuration": f"{stored.duration:.3f}s"},
        }

    def take_fault(self, endpoint: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.endpoint in (endpoint, "*"):
                    fault.times -= 1
                    return fault
        return None


class _ApiError(Exception):
    def __init__(
        self, code: int, status: str, message: str, details: list[Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code, self.status, self.message, self.details = code, status, message, details or []

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


_VERSIONED = re.compile(r"^/(?P<upload>upload/)?(?P<version>v1beta|v1|v1alpha)/(?P<rest>[^?]*)")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGemini
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read the ledger
        return None

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.path == "/_fake/ledger":
            self._reply(
                200,
                {"totals": self.fake.totals(), "ledger": [e.__dict__ for e in self.fake.ledger]},
            )
            return
        match = _VERSIONED.match(self.path)
        endpoint = _endpoint(
            self.command,
            match.group("rest") if match else "",
            bool(match and match.group("upload")),
        )
        is_upload_data = endpoint == "upload" and "upload_id" in self.path
        body: Any = None
        if raw and not is_upload_data:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        with self.fake._lock:
            self.fake.requests.append(
                Recorded(
                    self.command,
                    self.path,
                    endpoint,
                    {"bytes": len(raw)} if is_upload_data else body,
                    {k: v for k, v in headers.items() if k != "x-goog-api-key"},
                )
            )
        try:
            if match is None:
                raise _ApiError(404, "NOT_FOUND", f"no route {self.path}")
            fault = self.fake.take_fault(endpoint)
            if fault is not None:
                time.sleep(fault.delay_s)
                if fault.status != 200:
                    extra = {"retry-after": fault.retry_after} if fault.retry_after else {}
                    details = (
                        [
                            {
                                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                                "retryDelay": fault.retry_delay,
                            }
                        ]
                        if fault.retry_delay
                        else None
                    )
                    status = _STATUS.get(fault.status, "UNKNOWN")
                    error = _ApiError(fault.status, status, "injected fault", details)
                    self._reply(fault.status, error.body(), extra)
                    return
            if not is_upload_data:
                self._authorize(headers.get("x-goog-api-key"))
            payload, extra = self._route(endpoint, match, body or {}, raw, headers)
            self._reply(200, payload, extra)
        except _ApiError as error:
            self._reply(error.code, error.body())

    def _authorize(self, sent: str | None) -> None:
        expected = self.fake.api_key
        if expected is not None and sent != expected:
            # The real API does not echo keys, but a proxy might: the client must redact it.
            raise _ApiError(
                400,
                "INVALID_ARGUMENT",
                f"API key not valid. Please pass a valid API key. (got {sent})",
                [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                    }
                ],
            )

    def _route(
        self,
        endpoint: str,
        match: re.Match[str],
        body: dict[str, Any],
        raw: bytes,
        headers: dict[str, str],
    ) -> tuple[dict[str, Any], dict[str, str]]:
        fake, rest, version = self.fake, match.group("rest"), match.group("version")
        with fake._lock:
            if endpoint == "upload":
                query = parse_qs(urlparse(self.path).query)
                if "upload_id" in query:
                    return fake.continue_upload(
                        query["upload_id"][0], headers.get("x-goog-upload-command", ""), raw
                    )
                return fake.start_upload(headers.get("host", "127.0.0.1"), version, body, headers)
            if endpoint == "files.get":
                return fake.get_file(rest), {}
            if endpoint in ("generateContent", "countTokens", "batches") and ":" in rest:
                model = rest.split(":")[0].removeprefix("models/")
                if endpoint == "generateContent":
                    return fake.generate(model, body), {}
                if endpoint == "countTokens":
                    return fake.count_tokens(model, body), {}
                return fake.create_batch(model, body), {}
            if endpoint == "batches":
                return fake.get_batch(rest), {}
            if endpoint == "cachedContents" and self.command == "POST":
                return fake.create_cache(body), {}
            if endpoint == "cachedContents" and rest in fake.caches:
                if self.command == "DELETE":
                    del fake.caches[rest]
                    return {}, {}
                return {"name": rest, "model": f"models/{fake.caches[rest]['model']}"}, {}
        raise _ApiError(404, "NOT_FOUND", f"no route {self.command} {self.path}")

    def _reply(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


_STATUS = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def _endpoint(method: str, rest: str, upload: bool) -> str:
    if upload:
        return "upload"
    if rest.endswith(":generateContent"):
        return "generateContent"
    if rest.endswith(":countTokens"):
        return "countTokens"
    if rest.endswith(":batchGenerateContent") or rest.startswith("batches/"):
        return "batches"
    if rest.startswith("files/"):
        return "files.get"
    if rest.startswith("cachedContents"):
        return "cachedContents"
    return rest


def _check_model(model: str) -> None:
    if model not in KNOWN_MODELS:
        raise _ApiError(
            404,
            "NOT_FOUND",
            f"models/{model} is not found for API version v1beta, "
            "or is not supported for generateContent.",
        )


def _get(mapping: Any, camel: str, snake: str) -> Any:
    """The SDK sends some nested fields in snake_case, the API documents camelCase: accept both."""
    if not isinstance(mapping, dict):
        return None
    return mapping.get(camel, mapping.get(snake))


def _seconds(value: Any, default: float) -> float:
    if value is None:
        return default
    return float(str(value).removesuffix("s"))


def _rfc3339(unix: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(unix)) + f".{int(unix % 1 * 1e6):06d}Z"


def _usage(
    prompt: Counter[str], cached: Counter[str], candidates: int, thoughts: int
) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "promptTokenCount": sum(prompt.values()),
        "candidatesTokenCount": candidates,
        "totalTokenCount": sum(prompt.values()) + candidates + thoughts,
        "promptTokensDetails": [{"modality": m, "tokenCount": n} for m, n in prompt.items() if n],
    }
    if cached:
        usage["cachedContentTokenCount"] = sum(cached.values())
        usage["cacheTokensDetails"] = [
            {"modality": m, "tokenCount": n} for m, n in cached.items() if n
        ]
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    return usage


_NOT_CONTENT = re.compile(
    r"^\s*(?:time spans?|speakers|scene changes at|topics|title)\s*:.*$",
    re.IGNORECASE | re.MULTILINE,
)
_MARKUP = re.compile(r"\[\d+(?::\d\d)+\u2013\d+(?::\d\d)+\]|^\s*[-*]\s+", re.MULTILINE)


def _reply(contents: list[dict[str, Any]], prompt: Counter[str], token_limit: int) -> str:
    """A deterministic reply in the shape HALO's prompts ask for: a title, a paragraph drawn from
    the request's text (without headers, timestamps or bullets), and key points; clipped to the
    output limit. The last point says what the fake was shown."""
    texts = [p["text"] for c in contents for p in c.get("parts", []) if "text" in p]
    source = " ".join(texts[:-1]) if len(texts) > 1 else (texts[0] if texts else "")
    source = _MARKUP.sub(" ", _NOT_CONTENT.sub(" ", source))
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", source) if len(s.strip()) > 20]
    unique = list(dict.fromkeys(" ".join(s.split()) for s in sentences))
    seen = f"{prompt['VIDEO']} video, {prompt['AUDIO']} audio and {prompt['TEXT']} text tokens"
    title = " ".join(unique[0].split()[:5]).rstrip(",.;:") if unique else "Video segment"
    body = " ".join(unique[:2]) if unique else "A part of the video."
    points = "".join(f"\n- {s}" for s in unique[2:5])
    reply = f"Title: {title}\n{body}{points}\n- (fake Gemini reply; it was shown {seen})"
    return reply[: max(1, token_limit) * CHARS_PER_TOKEN]


def _duration(path: Path) -> float:
    """The media's duration, read by PyAV (what the real service reads from the container)."""
    import av

    try:
        with av.open(str(path)) as container:
            if container.duration:
                return container.duration / 1_000_000
            stream = container.streams.video[0] if container.streams.video else container.streams[0]
            if stream.duration and stream.time_base:
                return float(stream.duration * stream.time_base)
            return 0.0
    except av.error.FFmpegError as error:
        raise _ApiError(400, "INVALID_ARGUMENT", f"unsupported media: {error}") from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--key", default=None, help="accept only this API key (default: any)")
    args = parser.parse_args()
    fake = FakeGemini(api_key=args.key)
    url = fake.start(args.port)
    print(
        f"fake Gemini API on {url} (GET {url}/_fake/ledger for accounting); Ctrl-C stops it",
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
