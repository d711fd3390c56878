"""A fake Gemini REST API on 127.0.0.1, for tests and offline end-to-end runs.

It speaks the wire protocol the real google-genai client uses (paths, headers, JSON shapes as sent
by google-genai): generateContent, countTokens, the resumable Files upload (start, then
upload/finalize, then files.get moving PROCESSING → ACTIVE), cachedContents and batches
(create/get with inlined responses). Tokens are counted by each model family's published rates
(`halo_core.prices`, `media`): video sampled at the request's fps with 258 tokens per frame on the
2.5 family (66 at low media resolution) and 70 on the 3.x family; 32 tokens per second of audio;
text about 4 characters per token. As on the real API, countTokens takes no generation config, so
it counts video at the request's per-part `mediaResolution` (Gemini 3+) or the default; the
request-wide `generationConfig.mediaResolution` only affects generateContent. Replies are
deterministic text built from the request. Faults (429 with Retry-After or a RetryInfo delay,
500, slow responses) can be injected per endpoint. Everything it served is in `ledger`.

    python -m halo_gemini.fake_server --port 8765 [--key SECRET]
    halo run SPEC --set llm.use=gemini --set llm.with.base_url=http://127.0.0.1:8765

`GET /_fake/ledger` returns the accounting as JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import re
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from halo_core import MediaAccounting, price_table
from halo_core.testing.fake_http import ApiError, Call, FakeAPI, Fault, Reply, summary_reply

CHARS_PER_TOKEN = 4
PRICES = price_table()
KNOWN_MODELS = frozenset(name for name in PRICES.periods if name.startswith("gemini-"))
"""The models the fake serves: every Gemini model with a published price."""
ASSUMED_MEDIA = PRICES.media["gemini-3"]
"""Accounting for a family whose frame rate is unpublished (Gemini 4): an assumption of the fake's,
so estimates and actuals agree on it; real runs count by countTokens/usage alone."""
THOUGHTS_WHEN_THINKING = 64
"""Thinking tokens the fake reports when the request does not turn thinking off."""
MAX_INPUT_TOKENS = 1_048_576
"""The 2.5 models' input context: a longer prompt is refused, as the real API does."""
BLOCK_TRIGGER = "[[fake:block]]"
"""A prompt containing this is blocked for SAFETY, as the real API does for unsafe prompts."""


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
class FakeGemini(FakeAPI):
    """The server's state; `start()` serves it on a free loopback port. Faults are injected per
    endpoint (generateContent, countTokens, upload, files.get, cachedContents, batches, or `*`);
    `inject(..., retry_delay="7s")` adds a google.rpc.RetryInfo to the error body."""

    api_key: str | None = None
    processing_polls: int = 1
    """files.get answers PROCESSING this many times before ACTIVE."""
    batch_polls: int = 1
    """batches.get answers RUNNING this many times before SUCCEEDED."""
    ledger: list[LedgerEntry] = field(default_factory=list)
    files: dict[str, StoredFile] = field(default_factory=dict)
    caches: dict[str, dict[str, Any]] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    _uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    _dir: tempfile.TemporaryDirectory[str] | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self, port: int = 0) -> str:
        self._dir = tempfile.TemporaryDirectory(prefix="fake-gemini-")
        return super().start(port)

    def stop(self) -> None:
        super().stop()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> FakeGemini:
        self.start()
        return self

    # --- test helpers ----------------------------------------------------------------------

    def totals(self) -> dict[str, Any]:
        """Requests by endpoint, and token sums over everything generated (batch included)."""
        generated = [e for e in self.ledger if e.endpoint == "generateContent"]
        return {
            "requests": dict(Counter(r.endpoint for r in self.requests if r.endpoint != "ledger")),
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

    # --- FakeAPI ---------------------------------------------------------------------------

    def endpoint(self, method: str, path: str) -> str:
        if path == "/_fake/ledger":
            return "ledger"
        match = _VERSIONED.match(path)
        rest = match.group("rest") if match else ""
        return _endpoint(method, rest, bool(match and match.group("upload")))

    def handle(self, call: Call) -> Reply:
        return _serving(self, call)

    def record_body(self, call: Call) -> Any:
        return {"bytes": len(call.raw)} if _is_upload_data(call.endpoint, call.path) else call.body

    def fault_reply(self, fault: Fault) -> Reply:
        delay = fault.details.get("retry_delay")
        details = (
            [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}]
            if delay
            else None
        )
        status = _STATUS.get(fault.status, "UNKNOWN")
        return _ApiError(fault.status, status, "injected fault", details).reply

    # --- token accounting ------------------------------------------------------------------

    def count(
        self,
        model: str,
        contents: list[dict[str, Any]],
        system: dict[str, Any] | None,
        resolution: str,
    ) -> Counter[str]:
        """Tokens by modality (TEXT, VIDEO, AUDIO) of contents and a system instruction; video at
        a part's own `mediaResolution` where the family takes one per part, else `resolution`."""
        media = _media(model)
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
                own = _get(part, "mediaResolution", "media_resolution")
                per_part = media.per_part_media_resolution and own
                level = _level(own.get("level")) if per_part else None
                # a part's own level wins over the request-wide one (Gemini 3+ only)
                per_frame = media.frame_tokens(level or resolution)
                if per_frame is None:
                    raise _ApiError(400, "INVALID_ARGUMENT", f"media resolution {level!r}")
                tokens["VIDEO"] += math.ceil(seconds * fps) * per_frame
                tokens["AUDIO"] += math.ceil(seconds * media.audio_tokens_per_s)
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
        resolution = _level(config.get("mediaResolution")) or "default"
        contents = body.get("contents", [])
        tokens = self.count(model, contents, body.get("systemInstruction"), resolution)
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
        tokens = self.count(model, body.get("contents", []), None, "default")
        return {
            "totalTokens": sum(tokens.values()),
            "promptTokensDetails": [{"modality": m, "tokenCount": n} for m, n in tokens.items()],
        }

    def create_cache(self, body: dict[str, Any]) -> dict[str, Any]:
        model = str(body.get("model", "")).removeprefix("models/")
        _check_model(model)
        tokens = self.count(
            model, body.get("contents", []), body.get("systemInstruction"), "default"
        )
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


class _ApiError(ApiError):
    """A Google API error reply: {"error": {code, message, status, details?}}."""

    def __init__(
        self, code: int, status: str, message: str, details: list[Any] | None = None
    ) -> None:
        error: dict[str, Any] = {"code": code, "message": message, "status": status}
        if details:
            error["details"] = details
        super().__init__(code, {"error": error})
        self.code, self.message = code, message


_VERSIONED = re.compile(r"^/(?P<upload>upload/)?(?P<version>v1beta|v1|v1alpha)/(?P<rest>[^?]*)")


def _serving(fake: FakeGemini, call: Call) -> Reply:
    """Route one request (the FakeAPI `handle` of FakeGemini)."""
    if call.path == "/_fake/ledger":
        return Reply(200, {"totals": fake.totals(), "ledger": [e.__dict__ for e in fake.ledger]})
    match = _VERSIONED.match(call.path)
    if match is None:
        raise _ApiError(404, "NOT_FOUND", f"no route {call.path}")
    if not _is_upload_data(call.endpoint, call.path):
        _authorize(fake.api_key, call.headers.get("x-goog-api-key"))
    rest, version, body = match.group("rest"), match.group("version"), call.body or {}
    with fake._lock:
        if call.endpoint == "upload":
            query = parse_qs(urlparse(call.path).query)
            if "upload_id" in query:
                payload, extra = fake.continue_upload(
                    query["upload_id"][0], call.headers.get("x-goog-upload-command", ""), call.raw
                )
            else:
                payload, extra = fake.start_upload(
                    call.headers.get("host", "127.0.0.1"), version, body, call.headers
                )
            return Reply(200, payload, extra)
        if call.endpoint == "files.get":
            return Reply(200, fake.get_file(rest))
        if call.endpoint in ("generateContent", "countTokens", "batches") and ":" in rest:
            model = rest.split(":")[0].removeprefix("models/")
            if call.endpoint == "generateContent":
                return Reply(200, fake.generate(model, body))
            if call.endpoint == "countTokens":
                return Reply(200, fake.count_tokens(model, body))
            return Reply(200, fake.create_batch(model, body))
        if call.endpoint == "batches":
            return Reply(200, fake.get_batch(rest))
        if call.endpoint == "cachedContents" and call.method == "POST":
            return Reply(200, fake.create_cache(body))
        if call.endpoint == "cachedContents" and rest in fake.caches:
            if call.method == "DELETE":
                del fake.caches[rest]
                return Reply(200, {})
            return Reply(200, {"name": rest, "model": f"models/{fake.caches[rest]['model']}"})
    raise _ApiError(404, "NOT_FOUND", f"no route {call.method} {call.path}")


def _authorize(expected: str | None, sent: str | None) -> None:
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


def _is_upload_data(endpoint: str, path: str) -> bool:
    return endpoint == "upload" and "upload_id" in path


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


def _media(model: str) -> MediaAccounting:
    media = PRICES.media_accounting(model) or ASSUMED_MEDIA
    return media if media.frame_tokens("default") is not None else ASSUMED_MEDIA


def _level(value: Any) -> str | None:
    """"MEDIA_RESOLUTION_LOW" -> "low"; None for unspecified."""
    if not value or value == "MEDIA_RESOLUTION_UNSPECIFIED":
        return None
    return str(value).removeprefix("MEDIA_RESOLUTION_").lower()


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


def _reply(contents: list[dict[str, Any]], prompt: Counter[str], token_limit: int) -> str:
    """A deterministic reply from the request's text parts but the last (the question)."""
    texts = [p["text"] for c in contents for p in c.get("parts", []) if "text" in p]
    source = " ".join(texts[:-1]) if len(texts) > 1 else (texts[0] if texts else "")
    seen = f"{prompt['VIDEO']} video, {prompt['AUDIO']} audio and {prompt['TEXT']} text tokens"
    return summary_reply(source, f"fake Gemini reply; it was shown {seen}", token_limit)


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
    url = f"http://127.0.0.1:{args.port}"
    FakeGemini(api_key=args.key).serve_until_interrupted(
        args.port,
        f"fake Gemini API on {url} (GET {url}/_fake/ledger for accounting); Ctrl-C stops it",
    )


if __name__ == "__main__":
    main()
