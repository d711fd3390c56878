"""`Library`: a folder of many videos asked as one collection (`halo library`, `open_library`).

Adding a video embeds and indexes that video alone (its `QA` indexes, kept in
`videos/<sha16>/`), then records it in the catalog in one transaction; removing one deletes its
catalog entry only (`gc` later drops what nothing references). See `folder.LibraryFolder` for
the layout.
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType

from ..build import Pipeline
from ..errors import HaloError
from ..gateway import LLMGateway
from ..media import sha256_file
from ..model import Answer
from ..qa import DEFAULT_BUDGET, QA, Session, load_session, save_session
from ..run_data import RunData, load_run, run_working_dir
from ..tiered_cache import L3_PREFIX
from .asking import Filters, LibraryQA, check_since, video_overview
from .catalog import Catalog, VideoEntry, now_iso
from .folder import LibraryFolder, locked
from .notes import write_notes
from .spec import adopt_spec, library_pipeline, run_media, spec_of_file, spec_of_run


class Library:
    """The library in `path` (created by the first `add`). Close it, or use `with`."""

    def __init__(self, path: str | Path, *, budget: int = DEFAULT_BUDGET) -> None:
        self.folder = LibraryFolder(Path(path))
        self.catalog = Catalog(self.folder.path)
        self.budget = budget
        self._pipeline: Pipeline | None = None
        self._gateway: LLMGateway | None = None
        self._qas: dict[str, QA] = {}

    # -- the library's pipeline, built on first need --

    @property
    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            self._pipeline = library_pipeline(self.folder)
        return self._pipeline

    @property
    def gateway(self) -> LLMGateway:
        if self._gateway is None:
            self._gateway = self.pipeline.gateway()
        return self._gateway

    def videos(self) -> list[VideoEntry]:
        return self.catalog.videos()

    # -- changes --

    def add(self, item: str | Path, *, spec: str | Path | None = None) -> tuple[VideoEntry, bool]:
        """Add a run folder or a media file (run first with the library's spec, through its
        executor); (the video, True), or (the video already there, False) for known media.
        `spec` sets the library's spec when it has none yet."""
        item = Path(item)
        run: RunData | None = None
        if item.is_dir():
            run = load_run(item)
            if run.report is None:
                raise HaloError(
                    "the run is not finished",
                    where=str(item),
                    fix="finish it with `halo run SPEC` first, then add it",
                )
            media_file = _media_file(run)
        elif item.is_file():
            media_file = item.resolve()
        else:
            raise HaloError(
                "no such file or folder",
                where=str(item),
                fix="pass a run folder (written by `halo run`) or a media file",
            )
        if spec is not None:
            adopt_spec(self.folder, spec_of_file(Path(spec), media_file))
        if run is not None:
            adopt_spec(self.folder, spec_of_run(run))
        sha = run.media.sha256 if run is not None else sha256_file(media_file)
        found = self.catalog.find(sha)
        if found is not None:
            return found, False
        with locked(self.folder.lock(sha[:16])):  # one process builds a video's indexes
            found = self.catalog.find(sha)
            if found is not None:
                return found, False
            if run is None:
                run = load_run(run_media(self.folder, media_file, sha[:16]))
            entry = self._entry(run, media_file)
            self._open(entry, run).prepare()  # the indexes made now, under the lock
            added, new = self.catalog.add(entry)
        write_notes(self.folder, self.catalog)
        return added, new

    def remove(self, video: str) -> VideoEntry:
        """Take the video (id or media SHA-256) out of the library; its indexes and runs stay
        until `gc`, so adding it again is quick."""
        removed = self.catalog.remove(video)
        if removed is None:
            raise HaloError(
                f"no video {video!r} in the library",
                where=str(self.folder.path),
                fix="see the ids with `halo library list LIB`",
            )
        self._qas.pop(removed.sha256, None)
        write_notes(self.folder, self.catalog)
        return removed

    def rebuild(self) -> int:
        """Re-make every video's indexes (e.g. after changing the spec's embedder) and notes.md;
        the number of videos."""
        videos = self.videos()
        for video in videos:
            with locked(self.folder.lock(video.index_key)):
                shutil.rmtree(self.folder.video_indexes(video.index_key), ignore_errors=True)
                self._qas.pop(video.sha256, None)
                self._open(video, load_run(Path(video.run_folder))).prepare()
        write_notes(self.folder, self.catalog)
        return len(videos)

    def gc(self) -> dict[str, int]:
        """Drop what no video of the library references any more: the indexes and runs (with
        their artifacts) of removed videos, and the cache entries about them (L2 answers about a
        library state that held them, their L3 summaries). Counts of what went."""
        from .collect import collect

        return collect(self)

    # -- questions --

    def ask(
        self,
        question: str,
        session: str | Session | None = None,
        *,
        videos: tuple[str, ...] | list[str] = (),
        speaker: str | None = None,
        since: str | date | None = None,
    ) -> Answer:
        """The answer across the library's videos, citing video and time range. `videos`,
        `speaker` and `since` (YYYY-MM-DD: recorded on or after) narrow what it is answered
        from; a session name continues that conversation (`<library>/sessions/<name>.json`)."""
        since_text = since.isoformat() if isinstance(since, date) else check_since(since)
        filters = Filters(tuple(videos), speaker, since_text)
        qa = LibraryQA(
            [(v, self._open(v)) for v in self.videos()],
            self.pipeline,
            self.gateway,
            self.budget,
            note_scope=self.catalog.note_scope,
        )
        if isinstance(session, str):
            loaded = load_session(self.folder.path, session)
            answer = qa.ask(question, loaded, filters)
            save_session(self.folder.path, loaded)
            return answer
        return qa.ask(question, session, filters)

    def close(self) -> None:
        try:
            if self._gateway is not None:
                self._gateway.flush_stats()
        finally:
            if self._pipeline is not None:
                self._pipeline.close()
            self.catalog.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # -- inside --

    def _open(self, video: VideoEntry, run: RunData | None = None) -> QA:
        """The video's QA: its indexes loaded from `videos/<sha16>/`, made there when missing."""
        qa = self._qas.get(video.sha256)
        if qa is None:
            qa = QA(
                run or load_run(Path(video.run_folder)),
                self.pipeline,
                self.gateway,
                budget=self.budget,
                index_folder=self.folder.video_indexes(video.index_key),
            )
            self._qas[video.sha256] = qa
            self.catalog.note_scope(L3_PREFIX + qa.l3_scope, [video.sha256])
        return qa

    @staticmethod
    def _entry(run: RunData, media_file: Path) -> VideoEntry:
        try:
            recorded = datetime.fromtimestamp(media_file.stat().st_mtime, UTC).date().isoformat()
        except OSError:  # the media moved away: the run's results are all the library needs
            recorded = datetime.now(UTC).date().isoformat()
        return VideoEntry(
            id=media_file.stem,
            sha256=run.media.sha256,
            title=media_file.stem,
            file=str(media_file),
            run_folder=str(run.folder.resolve()),
            date=recorded,
            added_at=now_iso(),
            duration=run.media.duration,
            overview=video_overview(run),
        )


def _media_file(run: RunData) -> Path:
    path = run.media.path
    return path if path.is_absolute() else run_working_dir(run) / path


def open_library(path: str | Path, *, budget: int | None = None) -> Library:
    """The library in `path` (a new one is created by its first `add`)."""
    if budget is not None and budget < 16:
        raise HaloError(f"budget {budget} is too small", fix="use at least 16 tokens")
    return Library(path) if budget is None else Library(path, budget=budget)
