"""The library's `notes.md`: a summary of the collection, then one entry per video (what it
covers, with a link to its own notes). Made from the catalog alone (each video's overview is
stored there when it is added), so writing it costs nothing per video; rewritten after every add
and remove, under a lock, from the catalog as it is then: the last writer writes the newest
state."""

from __future__ import annotations

import os
from pathlib import Path

from ..artifacts import atomic_write_text
from ..text import split_sentences
from .catalog import Catalog, VideoEntry
from .folder import LibraryFolder, locked


def library_notes(library: LibraryFolder, videos: list[VideoEntry]) -> str:
    minutes = sum(v.duration for v in videos) / 60
    lines = [
        f"# Library {library.path.resolve().name}",
        "",
        f"{len(videos)} videos, {minutes:.0f} minutes in all.",
        "",
        "## Summary",
        "",
    ]
    for video in videos:
        first = (split_sentences(video.overview) or [""])[0]
        lines.append(f"- **{video.title}** (`{video.id}`): {first}")
    lines += ["", "## Videos", ""]
    for video in videos:
        notes = Path(video.run_folder) / "notes.md"
        link = f" · [notes]({os.path.relpath(notes, library.path)})" if notes.is_file() else ""
        lines += [
            f"### {video.title}",
            "",
            f"id `{video.id}` · {video.file} · recorded {video.date} · "
            f"{video.duration / 60:.1f} min{link}",
            "",
            video.overview,
            "",
        ]
    return "\n".join(lines)


def write_notes(library: LibraryFolder, catalog: Catalog) -> None:
    with locked(library.lock("notes")):
        atomic_write_text(library.notes, library_notes(library, catalog.videos()))
