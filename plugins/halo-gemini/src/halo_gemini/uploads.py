"""Uploading each video once through the Files API, remembered by the media's SHA-256.

Uploaded files live 48 hours on Gemini. The name of each upload is kept in memory and in a small
JSON state file (atomic writes), so later runs on the same media reuse it after one `files.get`
confirms it is still ACTIVE; a file that is gone, failed or expired is uploaded again.
"""

from __future__ import annotations

import json
import mimetypes
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

from halo_core import MediaClip, MediaError

FILE_LIFETIME_S = 48 * 3600.0
REUSE_MARGIN_S = 3600.0
"""Do not reuse an upload that expires within the hour: a long run could outlive it."""


@dataclass(frozen=True)
class UploadedFile:
    name: str
    uri: str
    mime_type: str
    expires_at: float
    """Unix time."""


class UploadedFiles:
    """The uploaded file for each media, uploading at most once per media even under concurrency.

    `call(what, fn)` runs one API call with the backend's retry policy; `scope` (the API base URL)
    separates uploads made to different servers in the state file.
    """

    def __init__(
        self,
        state_path: Path | None,
        scope: str,
        call: Callable[[str, Callable[[], Any]], Any],
        *,
        poll_s: float = 2.0,
        active_timeout_s: float = 600.0,
    ) -> None:
        self._state_path = state_path
        self._scope = scope
        self._call = call
        self._poll_s = poll_s
        self._active_timeout_s = active_timeout_s
        self._known: dict[str, UploadedFile] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.uploads = 0
        """Files actually uploaded by this process (for tests and benchmarks)."""

    def file_for(self, client: Any, clip: MediaClip) -> UploadedFile:
        with self._guard:
            lock = self._locks.setdefault(clip.sha256, threading.Lock())
        with lock:
            known = self._known.get(clip.sha256)
            if known is not None and known.expires_at - time.time() > REUSE_MARGIN_S:
                return known
            stored = self._load().get(clip.sha256)
            if stored is not None and self._still_active(client, stored):
                self._known[clip.sha256] = stored
                return stored
            uploaded = self._upload(client, clip)
            self._known[clip.sha256] = uploaded
            self._save(clip.sha256, uploaded)
            return uploaded

    def _still_active(self, client: Any, stored: UploadedFile) -> bool:
        if stored.expires_at - time.time() <= REUSE_MARGIN_S:
            return False
        try:
            current = self._call("files.get", lambda: client.files.get(name=stored.name))
        except Exception:  # gone (404), another account's file (403): upload again
            return False
        return _state(current) == "ACTIVE"

    def _upload(self, client: Any, clip: MediaClip) -> UploadedFile:
        from google.genai import types  # not at module level: registration stays cheap

        path = Path(clip.path)
        if not path.is_file():
            raise MediaError(
                f"cannot upload {path}: no such file",
                where="llm gemini (video mode)",
                fix="keep the input media where it was when the run started",
            )
        mime_type = mimetypes.guess_type(path.name)[0] or "video/mp4"
        config = types.UploadFileConfig(
            mime_type=mime_type, display_name=f"halo-{clip.sha256[:16]}"
        )
        file = self._call(
            "files.upload", lambda: client.files.upload(file=str(path), config=config)
        )
        self.uploads += 1
        deadline = time.monotonic() + self._active_timeout_s
        while _state(file) == "PROCESSING":
            if time.monotonic() > deadline:
                raise MediaError(
                    f"Gemini is still processing {path.name} after {self._active_timeout_s:.0f} s",
                    where="llm gemini (video mode)",
                    fix="retry later, or raise llm.with.upload_timeout_s",
                )
            time.sleep(self._poll_s)
            file = self._call("files.get", partial(client.files.get, name=file.name))
        if _state(file) != "ACTIVE":
            raise MediaError(
                f"Gemini could not process {path.name} (state {_state(file)})",
                where="llm gemini (video mode)",
                fix="check the file plays and is a supported video format (mp4, webm, mov)",
            )
        expires = (
            file.expiration_time.timestamp()
            if file.expiration_time
            else time.time() + FILE_LIFETIME_S
        )
        return UploadedFile(
            name=file.name, uri=file.uri, mime_type=file.mime_type or mime_type, expires_at=expires
        )

    def _load(self) -> dict[str, UploadedFile]:
        if self._state_path is None or not self._state_path.is_file():
            return {}
        try:
            data = json.loads(self._state_path.read_text())
        except (OSError, ValueError):
            return {}  # a damaged state file only costs a re-upload
        return {sha: UploadedFile(**entry) for sha, entry in data.get(self._scope, {}).items()}

    def _save(self, sha256: str, uploaded: UploadedFile) -> None:
        if self._state_path is None:
            return
        data: dict[str, Any] = {}
        if self._state_path.is_file():
            try:
                data = json.loads(self._state_path.read_text())
            except (OSError, ValueError):
                data = {}
        now = time.time()
        scope = {
            sha: entry
            for sha, entry in data.get(self._scope, {}).items()
            if entry.get("expires_at", 0) > now
        }
        scope[sha256] = asdict(uploaded)
        data[self._scope] = scope
        _atomic_write(self._state_path, json.dumps(data, indent=1, sort_keys=True))


def _state(file: Any) -> str:
    state = getattr(file, "state", None)
    return str(getattr(state, "value", state) or "ACTIVE")


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
