"""Atomic writes, and the content-addressed store of stage artifacts that makes runs resumable.

Every file HALO writes goes through `atomic_write_*`: the bytes go to a temporary file in the
same folder, are fsynced, then `os.replace`d over the target, so a reader (or a run resumed after
`kill -9`) sees either the old file or the new one, never half of one.

A stage artifact is one JSON file named by its key, a hash of everything the stage's output
depends on (the media's SHA-256, the component's identity, the keys of the stages it read). A
finished stage is therefore found again by recomputing its key; a stage that never finished has
no file, and runs again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import HaloError
from .gateway import stable_hash
from .model import JSONValue

TMP_SUFFIX = ".tmp"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that `path` never holds a partial file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
    try:
        os.fchmod(fd, _FILE_MODE)  # mkstemp makes 0600; outputs are ordinary files
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, value: JSONValue, *, indent: int | None = 2) -> None:
    atomic_write_text(path, json.dumps(value, indent=indent, ensure_ascii=False) + "\n")


REBUILD_INDEX_FIX = "build the index again (re-run with --force)"


def write_with_manifest(
    folder: Path, data_name: str, data: bytes, manifest_name: str, fields: dict[str, JSONValue]
) -> None:
    """Save `data` into `folder` as `<stem>-<sha256>.<ext>` (from `data_name`), then the manifest
    `fields` plus `<stem>` (that file's name) and `sha256`, then drop older data files.

    The manifest goes last, so a crash leaves the previous save readable and a torn one is seen
    by `read_with_manifest`.
    """
    stem, ext = data_name.rsplit(".", 1)
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(data).hexdigest()
    data_file = f"{stem}-{digest[:16]}.{ext}"
    atomic_write_bytes(folder / data_file, data)
    manifest = {**fields, stem: data_file, "sha256": digest}
    atomic_write_bytes(folder / manifest_name, json.dumps(manifest).encode())
    for stale in folder.glob(f"{stem}-*.{ext}"):
        if stale.name != data_file:
            stale.unlink(missing_ok=True)


def read_with_manifest(
    folder: Path, data_name: str, manifest_name: str, what: str
) -> tuple[dict[str, Any], bytes]:
    """The manifest and data `write_with_manifest` saved; HaloError (naming `what`) when either is
    missing, the manifest is not one, or the data is not the file it names."""
    stem = data_name.rsplit(".", 1)[0]
    where, fix = f"{what}: {folder}", REBUILD_INDEX_FIX
    try:
        manifest = json.loads((folder / manifest_name).read_text())
        data = (folder / manifest[stem]).read_bytes()
    except FileNotFoundError as exc:
        raise HaloError(f"missing index file {exc.filename}", where=where, fix=fix) from None
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise HaloError(
            f"{manifest_name} is not a {what} manifest ({exc})", where=where, fix=fix
        ) from None
    if hashlib.sha256(data).hexdigest() != manifest.get("sha256"):
        raise HaloError(
            f"the {stem} file does not match {manifest_name} (torn or foreign write)",
            where=where,
            fix=fix,
        )
    return manifest, data


def _fsync_dir(folder: Path) -> None:
    # The rename itself must reach the disk too, or a power cut could lose a "finished" stage.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def artifact_key(**parts: JSONValue) -> str:
    """The content address of a stage's output: a hash of everything that output depends on."""
    return stable_hash(parts)


class ArtifactStore:
    """Stage outputs as `<root>/<key>.json`, written atomically, read back by key.

    `redact` is applied to the JSON text before it is written, so secrets never land on disk.
    """

    def __init__(self, root: Path, *, redact: Callable[[str], str] = lambda text: text) -> None:
        self.root = Path(root)
        self.redact = redact

    def path(self, key: str) -> Path:
        return self.root / f"{key}.json"

    def work_dir(self, key: str) -> Path:
        """A folder for files a stage writes besides its JSON (keyframes...), stable per key."""
        return self.root / "work" / key

    def get(self, key: str) -> JSONValue | None:
        """The stored value, or None when the stage never finished (or its file is unreadable)."""
        try:
            return json.loads(self.path(key).read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            return None

    def put(self, key: str, value: JSONValue) -> Path:
        path = self.path(key)
        atomic_write_text(path, self.redact(json.dumps(value, ensure_ascii=False)))
        return path

    def sweep_temp_files(self, older_than_s: float = 3600.0) -> int:
        """Remove temporary files a killed writer left behind; return how many. Only old ones:
        a younger one may belong to a run still writing in another process."""
        cutoff = time.time() - older_than_s
        removed = 0
        for leftover in self.root.glob(f".*{TMP_SUFFIX}") if self.root.is_dir() else []:
            with contextlib.suppress(FileNotFoundError):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
                    removed += 1
        return removed
