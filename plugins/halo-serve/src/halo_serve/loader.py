"""Everything halo-serve reads from a run folder, in one place.

A run folder is what `halo run` writes (`runs/<spec>/<media stem>/`). Its files appear as the run
goes: run.json first (the media, the spec, and an `incomplete` entry until the run finishes, naming
the stage that failed if one did), then timeline.json after the extractors, chunks.json, index/,
summaries.json, answers.json, notes.md, timeline.svg, and report.json last (a re-run removes it
first). So a folder without report.json is a run still in progress, or one that stopped.

`read_run` reads whatever is there and never fails on a missing or unreadable file (the next request
reads it again); each parsed file is kept while its size and modification time stay the same, so a
page load re-reads only what changed. A finished run is read by the core's `load_run`, and asked
through its `open_run` (`Asker`).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from halo_core import (
    Answer,
    Chunk,
    HaloError,
    Media,
    Summaries,
    Timeline,
    answer_record,
    load_run,
    open_run,
)

log = logging.getLogger("halo.serve")

T = TypeVar("T")

RUN_MARKERS = ("run.json", "chunks.json", "timeline.json", "report.json")
"""A folder holding any of these is a run folder (finished or not)."""

STAGE_FILES = (
    ("extract", "timeline.json"),
    ("chunk", "chunks.json"),
    ("index", "index/stage.json"),
    ("summarize", "summaries.json"),
    ("ask", "answers.json"),
    ("notes", "notes.md"),
    ("report", "report.json"),
)
"""The runner's stages in order, each with the file it leaves behind when done."""


def is_run_folder(folder: Path) -> bool:
    return folder.is_dir() and any((folder / name).is_file() for name in RUN_MARKERS)


@dataclass(frozen=True)
class Stage:
    name: str
    done: bool
    reused: bool | None = None
    wall_s: float | None = None


@dataclass(frozen=True)
class RunFiles:
    """What one run folder holds right now; None / empty for what is not written (yet)."""

    folder: Path
    record: dict[str, Any] | None
    """run.json"""
    timeline: Timeline | None
    chunks: list[Chunk]
    summaries: Summaries | None
    answers: list[Answer]
    report: dict[str, Any] | None
    """report.json; present only once the run finished"""
    notes: str | None

    @property
    def finished(self) -> bool:
        return self.report is not None

    @property
    def failure(self) -> dict[str, Any] | None:
        """{"stage", "error"} when run.json says a stage failed; None while none has."""
        incomplete = (self.record or {}).get("incomplete")
        if self.finished or not isinstance(incomplete, dict) or not incomplete.get("stage"):
            return None
        return {"stage": str(incomplete["stage"]), "error": str(incomplete.get("error", ""))}

    @property
    def media(self) -> Media | None:
        """The run's input, with a relative path resolved against the folder `halo run` ran in."""
        data = (self.report or {}).get("media") or (self.record or {}).get("media")
        if data is None:
            return None
        try:
            media = Media.model_validate(data)
        except ValidationError:
            return None
        if not media.path.is_absolute() and self.record and "cwd" in self.record:
            media = media.model_copy(update={"path": Path(self.record["cwd"]) / media.path})
        return media

    @property
    def stages(self) -> list[Stage]:
        """Each stage with whether it is done: from report.json when finished, else from the
        files written so far (leaving out the tasks the run's spec does not ask for)."""
        if self.report is not None:
            return [
                Stage(s["stage"], True, bool(s.get("reused")), s.get("wall_s"))
                for s in self.report.get("stages", [])
            ]
        skipped: set[str] = set()
        spec = (self.record or {}).get("spec")
        if spec is not None:  # run.json is there: its spec says which tasks run
            tasks = spec.get("tasks") or {}
            if not tasks.get("summarize", True):
                skipped |= {"summarize", "notes"}
            if not tasks.get("notes", True):
                skipped.add("notes")
            # what it asks: the spec's, --ask's and its sidecar's (older runs: the spec's)
            if not (self.record or {}).get("questions", tasks.get("ask")):
                skipped.add("ask")
        return [
            Stage(name, (self.folder / filename).exists())
            for name, filename in STAGE_FILES
            if name not in skipped
        ]


RUN_FILES = (
    "run.json", "report.json", "chunks.json", "timeline.json", "summaries.json", "answers.json",
    "notes.md",
)  # fmt: skip
"""What `load_run` reads: a finished run is read again when any of these changed."""

Stamp = tuple[int, int] | None


def _stamp(path: Path) -> Stamp:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns)


class _Cache:
    """Values built from files, kept while those files' sizes and modification times stay."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, Path], tuple[tuple[Stamp, ...], Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, Path], paths: list[Path], build: Callable[[], T]) -> T | None:
        stamps = tuple(_stamp(p) for p in paths)
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry[0] == stamps:
            return entry[1]  # type: ignore[no-any-return]
        try:
            value = build()
        except (OSError, ValueError, HaloError) as exc:  # ValidationError is a ValueError
            log.warning("cannot read %s (%s); showing the run without it", key[1], exc)
            return None
        with self._lock:
            self._entries[key] = (stamps, value)
        return value


_cache = _Cache()


def _file(path: Path, parse: Callable[[str], T]) -> T | None:
    if not path.is_file():
        return None
    return _cache.get(("file", path), [path], lambda: parse(path.read_text(encoding="utf-8")))


def _chunks(text: str) -> list[Chunk]:
    return [Chunk.model_validate(c) for c in json.loads(text)["chunks"]]


def _answers(text: str) -> list[Answer]:
    return [Answer.model_validate(a) for a in json.loads(text)]


def _finished(folder: Path) -> RunFiles | None:
    """A finished run, as the core's `load_run` reads it."""
    data = load_run(folder)
    if data.report is None:
        return None
    return RunFiles(
        folder=folder,
        record=data.record,
        timeline=data.timeline,
        chunks=data.chunks,
        summaries=data.summaries,
        answers=data.answers,
        report=data.report.model_dump(mode="json"),
        notes=data.notes,
    )


def read_run(folder: Path) -> RunFiles:
    """The run folder's files as they are now (see the module docstring)."""
    if (folder / "report.json").is_file():
        files = [folder / name for name in RUN_FILES]
        finished = _cache.get(("run", folder), files, lambda: _finished(folder))
        if finished is not None:
            return finished
    return RunFiles(  # a run in progress, or one that stopped: whatever it has written
        folder=folder,
        record=_file(folder / "run.json", json.loads),
        timeline=_file(folder / "timeline.json", Timeline.model_validate_json),
        chunks=_file(folder / "chunks.json", _chunks) or [],
        summaries=_file(folder / "summaries.json", Summaries.model_validate_json),
        answers=_file(folder / "answers.json", _answers) or [],
        report=None,
        notes=_file(folder / "notes.md", str),
    )


def run_stamp(folder: Path) -> Stamp:
    """Changes whenever the run writes its chunks again: an open asker is then rebuilt."""
    return _stamp(folder / "chunks.json")


class Asker:
    """Answers questions about one finished run (the core's `open_run`), as `halo ask --json`.

    Not thread-safe, and bound to the thread that opened it (the run's cache may be an sqlite
    connection): the server opens, uses and closes every asker on its one Q&A thread.
    """

    def __init__(self, folder: Path) -> None:
        self._run = open_run(folder)

    def ask(self, question: str, session: str | None) -> dict[str, Any]:
        """The `halo ask RUN --json [--session NAME]` object for `question`; HaloError for an
        empty question or a bad session name."""
        answer = self._run.ask(question, session)
        return answer_record(answer, session, self._run.embedded_texts)

    def close(self) -> None:
        self._run.close()
