"""What `halo serve PATH` shows: a collection of videos, each backed by a run folder.

`Library` is the interface the server reads; `RunFolders` implements it over one run folder or a
folder of run folders (found up to two levels down: `runs/`, `runs/<spec>/`), `CatalogVideos`
over a library made by `halo library add` (its catalog's videos, each read from its run folder);
`library_at(PATH)` picks the one that fits.

Video ids are made from folder names, never taken from a request: a request's id is only ever
looked up among the ids a scan produced, so no part of a URL reaches the file system.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from halo_core import HaloError, is_library, open_library

from .loader import is_run_folder

SCAN_DEPTH = 2
"""Levels below PATH searched for run folders: runs/<spec>/<media stem>/ is two."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Video:
    id: str
    """URL-safe, unique in its library, stable while the folder keeps its place"""
    title: str
    folder: Path
    """the run folder"""


class Library(Protocol):
    def videos(self) -> list[Video]:
        """Every video now, in display order (a new run appears on the next call)."""
        ...

    def find(self, video_id: str) -> Video | None:
        """The video with this id, or None."""
        ...


class RunFolders:
    """A run folder, or a folder of run folders, scanned afresh on every call."""

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise HaloError(
                "no such folder",
                where=str(root),
                fix="pass a run folder (e.g. runs/lecture/lecture) or a folder of them (runs/)",
            )
        self.root = root

    def videos(self) -> list[Video]:
        if is_run_folder(self.root):
            name = self.root.resolve().name
            return [Video(_slug(name) or "video", name, self.root)]
        found = sorted(_run_folders(self.root, SCAN_DEPTH), key=lambda p: p.parts)
        videos: list[Video] = []
        taken: set[str] = set()
        for folder in found:
            relative = folder.relative_to(self.root)
            video_id = _slug("--".join(relative.parts)) or "video"
            if video_id in taken:  # two names that slug alike: keep both apart, stably
                digest = hashlib.sha256(relative.as_posix().encode()).hexdigest()[:8]
                video_id = f"{video_id}-{digest}"
            taken.add(video_id)
            videos.append(Video(video_id, " / ".join(relative.parts), folder))
        return videos

    def find(self, video_id: str) -> Video | None:
        return next((v for v in self.videos() if v.id == video_id), None)


class CatalogVideos:
    """A library folder (`halo library`): its catalog's videos, read afresh on every call.
    Ids are the catalog's (URL-safe by construction)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def videos(self) -> list[Video]:
        with open_library(self.root) as library:
            entries = library.videos()
        return [Video(v.id, v.title, Path(v.run_folder)) for v in entries]

    def find(self, video_id: str) -> Video | None:
        return next((v for v in self.videos() if v.id == video_id), None)


def library_at(path: Path) -> Library:
    """What `halo serve PATH` shows: a library's videos, else the run folders in PATH."""
    return CatalogVideos(path) if is_library(path) else RunFolders(path)


def _run_folders(folder: Path, depth: int) -> list[Path]:
    found: list[Path] = []
    try:
        children = [c for c in folder.iterdir() if c.is_dir() and not c.name.startswith(".")]
    except OSError:
        return found
    for child in children:
        if is_run_folder(child):
            found.append(child)
        elif depth > 1:
            found.extend(_run_folders(child, depth - 1))
    return found


def _slug(name: str) -> str:
    return _UNSAFE.sub("-", name).strip("-.")
