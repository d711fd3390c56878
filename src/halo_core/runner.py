"""The runner: one pipeline spec over its inputs, stage by stage, resumable.

Per input: probe the media, check every component, then run the stages — the extractors (a graph
from `requires`/`provides`; independent ones concurrently), the chunker, the index (chunk
embeddings, saved into the run folder for Q&A), and the tasks (summarize, ask). Each stage's
output is a content-addressed artifact (`artifacts.py`) keyed by the media's hash, the component's
identity and the keys of the stages it read, so a re-run finds every finished stage again and an
interrupted run resumes where it stopped. Outputs are written as soon as what they need exists,
so a run stopped by a failure or the LLM budget keeps everything it finished.
"""

from __future__ import annotations

import json
import logging
import resource
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import TypeAdapter

from . import media as media_probe
from .artifacts import ArtifactStore, artifact_key
from .chunking import SPEAKERS, TRANSCRIPT
from .components import Component, Extractor
from .context import RunContext
from .errors import BudgetExceeded, ComponentUnavailable, HaloError, MediaError, StageFailed
from .exports import FILES, ExportInput, render_export
from .gateway import LLMGateway, stable_hash
from .model import (
    Answer,
    Chunk,
    ChunkSet,
    JSONValue,
    LLMRequest,
    Media,
    RunReport,
    Segment,
    StageReport,
    Summaries,
    Timeline,
)
from .outputs import RunFolder, render_notes, render_timeline_svg
from .pipeline import Pipeline, build_pipeline
from .plugins import PluginSource, get_registry
from .progress import Progress
from .speakers import label_transcript
from .summarize import PROMPTS, summarize, summary_requests

if TYPE_CHECKING:
    from .spec import LoadedSpec

ARTIFACTS_DIR = ".halo/artifacts"
PROBES_DIR = "probes"
"""Beside the artifacts: media records by path, size and mtime (not content-addressed)."""
SUMMARIZE_VERSION = stable_hash(PROMPTS)[:12]
"""Part of the summarize stage's key: changing the prompts invalidates stored summaries."""

LATER_OUTPUTS = ("summaries.json", "answers.json", "notes.md", "timeline.svg", *FILES.values())
"""Outputs a run may not get to (a failure, the budget, a task turned off): when a run does not
write one, a previous run's copy is removed, so a folder never mixes two runs' files."""

_segments = TypeAdapter(list[Segment])
_answers = TypeAdapter(list[Answer])


@dataclass
class RunResult:
    """What happened to one input: its run folder and report, or the error that stopped it."""

    input: Path
    run_dir: Path | None = None
    report: RunReport | None = None
    error: HaloError | None = None

    @property
    def exit_code(self) -> int:
        return self.error.exit_code if self.error else 0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run(
    loaded: LoadedSpec, *, force: bool = False, progress: Progress | None = None
) -> list[RunResult]:
    """Run the spec over each of its inputs. An input that fails does not stop the others; an LLM
    budget stop ends the whole run. Finished stages are kept either way."""
    progress = progress or Progress.silent()
    spec = loaded.spec
    if not loaded.inputs:
        raise MediaError(
            "no inputs to run on",
            where=str(loaded.path),
            fix="add `inputs: [video.mp4]` to the spec, or pass --input FILE",
        )
    _check_unique_stems(loaded.inputs)
    pipeline = build_pipeline(spec)
    results: list[RunResult] = []
    try:
        _check_components(pipeline)
        for notice in pipeline.notices:
            progress.message(loaded.redact(notice))
        store = ArtifactStore(Path(spec.outputs) / ARTIFACTS_DIR, redact=loaded.redact)
        store.sweep_temp_files()
        for path in loaded.inputs:
            job = InputRun(loaded, pipeline, store, Path(path), progress=progress, force=force)
            try:
                results.append(job.run())
            except BudgetExceeded as exc:
                results.append(RunResult(Path(path), job.folder.path, error=exc))
                break
            except HaloError as exc:
                results.append(RunResult(Path(path), job.folder.path, error=exc))
    finally:
        pipeline.cache.close()
    return results


def _check_unique_stems(inputs: list[Path]) -> None:
    seen: dict[str, Path] = {}
    for path in inputs:
        stem = Path(path).stem
        if stem in seen and Path(seen[stem]).resolve() != Path(path).resolve():
            raise MediaError(
                f"two inputs would share the run folder {stem!r}: {seen[stem]} and {path}",
                fix="rename one of them, or run them with separate --out folders",
            )
        seen[stem] = Path(path)


def _check_components(pipeline: Pipeline) -> None:
    components: list[Component[Any]] = [
        *pipeline.extractors,
        pipeline.chunker,
        pipeline.embedder,
        pipeline.index,
        pipeline.cache,
    ]
    problems = [
        f"{c.kind} {c.name!r} ({_distribution(c)}): {p}" for c in components for p in c.check()
    ]
    if problems:
        raise ComponentUnavailable(
            "; ".join(problems),
            where="pipeline spec",
            fix="fix the above (or switch to a component that can run here)",
        )


def _source(component: Component[Any]) -> PluginSource | None:
    try:
        return get_registry().get(component.kind, component.name).source
    except HaloError:
        return None


def _distribution(component: Component[Any]) -> str:
    """`halo-scenedetect 0.1.0`: where a component came from, for error messages."""
    source = _source(component)
    return f"{source.distribution} {source.version}".strip() if source else "unregistered"


@dataclass
class InputRun:
    """One input through the pipeline."""

    loaded: LoadedSpec
    pipeline: Pipeline
    store: ArtifactStore
    path: Path
    progress: Progress
    force: bool = False
    stages: list[StageReport] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)
    cancelled: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        spec = self.loaded.spec
        self.folder = RunFolder(Path(spec.outputs) / spec.name / self.path.stem, self.loaded.redact)
        self.gateway = LLMGateway(
            self.pipeline.llm, self.pipeline.cache, fallbacks=self.pipeline.llm_fallbacks
        )
        self.ctx = RunContext(
            stage="run",
            log=logging.getLogger("halo"),
            on_progress=self.progress.update,
            cancelled=self.cancelled,
        )

    # --- the run ------------------------------------------------------------------------------

    def run(self) -> RunResult:
        started_at = datetime.now(UTC).isoformat(timespec="seconds")
        t0 = time.monotonic()
        media = self._probe()
        self._check_media(media)
        self.progress.message(f"{media.path.name}: {media.duration:.1f} s")
        try:
            return self._stages(media, started_at, t0)
        except BaseException:
            self.cancelled.set()  # long-running components check it and stop early
            raise
        finally:
            self.folder.remove_unwritten(*LATER_OUTPUTS)
            self.gateway.flush_stats()  # this run's cache hits/misses into `halo cache stats`

    def _probe(self) -> Media:
        """The media record, stored by path, size and modification time: a re-run of a long
        video does not hash its bytes again."""
        try:
            stat = self.path.stat()
        except OSError:
            return media_probe.probe(self.path)  # says what is wrong with the path
        key = artifact_key(
            stage="probe",
            path=str(self.path.resolve()),
            size=stat.st_size,
            mtime_ns=stat.st_mtime_ns,
            inode=stat.st_ino,
        )
        probes = ArtifactStore(self.store.root.parent / PROBES_DIR)
        stored = None if self.force else probes.get(key)
        if stored is not None:
            return Media.model_validate(stored)
        media = media_probe.probe(self.path)
        probes.put(key, media.model_dump(mode="json"))
        return media

    def _stages(self, media: Media, started_at: str, t0: float) -> RunResult:
        pipeline, spec = self.pipeline, self.loaded.spec
        self.folder.remove("report.json")  # a folder without report.json is unfinished
        timeline = self._extract(media)
        self.folder.write_model("timeline.json", timeline)

        chunk_key = artifact_key(
            stage="chunk",
            media=media.sha256,
            component=pipeline.chunker.identity(),
            upstream=self._extract_keys(),
        )
        stored = self._stage(
            "chunk",
            pipeline.chunker,
            chunk_key,
            media.duration,
            lambda ctx: [
                c.model_dump(mode="json") for c in pipeline.chunker.chunk(timeline, media, ctx)
            ],
        )
        chunk_set = ChunkSet(
            media=media.path.name,
            duration=media.duration,
            chunker=pipeline.chunker.name,
            chunks=stored,
        )
        chunks = chunk_set.chunks
        self.folder.write_model("chunks.json", chunk_set)
        self._index(media, chunks, chunk_key)
        self._write_run_record(media)

        summaries = None
        if spec.tasks.summarize:
            summaries = self._summarize(media, timeline, chunks, chunk_key)
            self.folder.write_model("summaries.json", summaries)
        answers: list[Answer] = []
        if spec.tasks.ask:
            answers = self._ask(media, spec.tasks.ask)
            self.folder.write_json("answers.json", [a.model_dump(mode="json") for a in answers])
        if summaries is not None and spec.tasks.notes:
            self.folder.write_text(
                "notes.md",
                render_notes(f"{spec.name}: {media.path.stem}", media, summaries, chunks, answers),
            )
        self.folder.write_text(
            "timeline.svg",
            render_timeline_svg(timeline, chunks, title=f"{spec.name}: {media.path.name}"),
        )
        run_results = ExportInput(
            f"{spec.name}: {media.path.stem}", media, timeline, chunks, summaries, answers
        )
        for fmt in spec.tasks.export:
            self.folder.write_text(FILES[fmt], render_export(fmt, run_results))

        report = self._report(
            media, started_at, time.monotonic() - t0, timeline, chunks, summaries, answers
        )
        self.folder.write_model("report.json", report)
        return RunResult(self.path, self.folder.path, report=report)

    def _check_media(self, media: Media) -> None:
        for extractor in self.pipeline.extractors:
            for need in sorted(extractor.media_needs):
                present = media.has_audio if need == "audio" else media.has_video
                if not present:
                    raise MediaError(
                        f"extractor {extractor.name!r} needs a {need} stream; the file has none",
                        where=str(media.path),
                        fix=f"pass a file with {need}, or remove `use: {extractor.name}` from the "
                        "spec's extractors",
                    )

    # --- stages -------------------------------------------------------------------------------

    def _stage(
        self,
        name: str,
        component: Component[Any],
        key: str,
        total: float,
        compute: Callable[[RunContext], JSONValue],
    ) -> Any:
        """The stage's stored output when it finished before (and not --force), else compute and
        store it. A component's exception becomes StageFailed naming stage, component,
        distribution and input; BudgetExceeded and interrupts pass through untouched."""
        self.keys[name] = key
        t0 = time.monotonic()
        value = None if self.force else self.store.get(key)
        reused = value is not None
        if not reused:
            self.progress.start(name, total)
            ctx = self.ctx.for_stage(name, self.store.work_dir(key))
            try:
                value = compute(ctx)
            except (BudgetExceeded, KeyboardInterrupt):
                raise
            except Exception as exc:
                raise self._failure(name, component, exc) from exc
            if self.cancelled.is_set():
                # A component that saw the run being cancelled may have returned early with
                # part of its output: never store that as finished.
                raise KeyboardInterrupt
            self.store.put(key, value)
        wall = time.monotonic() - t0
        speed = total / wall if not reused and total and wall > 0 else None
        self.progress.finish(
            name, reused=reused, detail=f"{speed:.0f}x real time" if speed and wall > 0.05 else ""
        )
        source = _source(component)
        self.stages.append(
            StageReport(
                stage=name,
                component=component.name,
                distribution=source.distribution if source else "unregistered",
                reused=reused,
                wall_s=round(wall, 4),
                real_time_factor=round(speed, 2) if speed else None,
                peak_rss_mb=round(peak_rss_mb(), 1),
            )
        )
        return value

    def _failure(self, stage: str, component: Component[Any], exc: Exception) -> StageFailed:
        if isinstance(exc, HaloError):  # its fix goes to the fix line; the input is named once
            inputs = (None, str(self.path), str(self.path.resolve()))
            detail = exc.what if exc.where in inputs else f"{exc.where}: {exc.what}"
        else:
            detail = f"{type(exc).__name__}: {exc}"
        failure = StageFailed(
            f"stage {stage!r} failed in {component.kind} {component.name!r} "
            f"({_distribution(component)}): {detail}",
            where=str(self.path),
            fix=(
                exc.fix
                if isinstance(exc, HaloError) and exc.fix
                else "fix the cause above, then run the same command again: finished stages "
                "are kept and reused (HALO_DEBUG=1 shows the traceback)"
            ),
        )
        if isinstance(exc, HaloError):
            failure.exit_code = exc.exit_code  # bad input stays exit 2, as the component said
        return failure

    def _extract(self, media: Media) -> Timeline:
        """Run the extractors in dependency order, independent ones concurrently."""
        extractors = self.pipeline.extractors
        order = extraction_order(extractors)
        keys: dict[str, str] = {}
        for extractor in order:
            keys[extractor.provides] = artifact_key(
                stage="extract",
                media=media.sha256,
                component=extractor.identity(),
                upstream={kind: keys[kind] for kind in sorted(extractor.requires)},
            )
        timeline = Timeline(duration=media.duration)
        tracks: dict[str, list[Any]] = {}
        lock = threading.Lock()

        def extract(extractor: Extractor[Any]) -> None:
            with lock:
                upstream = Timeline(
                    duration=media.duration, tracks={k: tracks[k] for k in extractor.requires}
                )

            def compute(ctx: RunContext) -> JSONValue:
                segments = extractor.extract(media, upstream, ctx)
                return _segments.dump_python(_segments.validate_python(segments), mode="json")

            stored = self._stage(
                extractor.provides, extractor, keys[extractor.provides], media.duration, compute
            )
            with lock:
                tracks[extractor.provides] = _segments.validate_python(stored)

        pending = list(order)
        running: dict[Future[None], Extractor[Any]] = {}
        errors: list[BaseException] = []
        with ThreadPoolExecutor(
            max_workers=self.loaded.spec.max_workers, thread_name_prefix="halo-extract"
        ) as pool:
            try:
                while pending or running:
                    ready = [e for e in pending if all(r in tracks for r in e.requires)]
                    if not errors:
                        for extractor in ready:
                            pending.remove(extractor)
                            running[pool.submit(extract, extractor)] = extractor
                    if not running:
                        break
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        running.pop(future)
                        if future.exception() is not None:
                            errors.append(future.exception())  # type: ignore[arg-type]
            except BaseException:
                self.cancelled.set()
                pool.shutdown(wait=False, cancel_futures=True)
                raise
        if errors:
            raise errors[0]  # the stages still running were let finish, so their work is kept
        for extractor in order:
            timeline = timeline.with_track(extractor.provides, tracks[extractor.provides])
        if timeline.track(TRANSCRIPT) and timeline.track(SPEAKERS):
            labelled = label_transcript(timeline.track(TRANSCRIPT), timeline.track(SPEAKERS))
            timeline = timeline.with_track(TRANSCRIPT, labelled)
        return timeline

    def _extract_keys(self) -> dict[str, str]:
        return {e.provides: self.keys[e.provides] for e in self.pipeline.extractors}

    def _index(self, media: Media, chunks: list[Chunk], chunk_key: str) -> None:
        """Embed the chunk texts; save the vector index into `<run>/index/` for Q&A."""
        embedder, index = self.pipeline.embedder, self.pipeline.index
        key = artifact_key(
            stage="index", upstream=chunk_key, embedder=embedder.identity(), index=index.identity()
        )

        def compute(ctx: RunContext) -> JSONValue:
            vectors = embedder.embed([c.text for c in chunks]) if chunks else np.zeros((0, 0))
            ctx.progress(media.duration, media.duration)
            return {"ids": [c.id for c in chunks], "vectors": np.asarray(vectors).tolist()}

        stored = self._stage("index", embedder, key, media.duration, compute)
        index_dir = self.folder.path / "index"
        record = index_dir / "stage.json"
        if _json_key(record) == key:
            return  # the saved index is this stage's output already
        fresh = type(index)(index.config)
        if stored["ids"]:
            fresh.add(stored["ids"], np.asarray(stored["vectors"], dtype=np.float32))
        index_dir.mkdir(parents=True, exist_ok=True)
        fresh.save(index_dir)
        self.folder.write_json(
            "index/stage.json",
            {
                "key": key,
                "ids": stored["ids"],
                "embedder": embedder.identity(),
                "index": index.identity(),
            },
        )

    def _summarize(
        self, media: Media, timeline: Timeline, chunks: list[Chunk], chunk_key: str
    ) -> Summaries:
        llm = self.pipeline.llm
        key = artifact_key(
            stage="summarize",
            upstream=chunk_key,
            component=llm.identity(),
            prompts=SUMMARIZE_VERSION,
        )
        stored = self._stage(
            "summarize",
            llm,
            key,
            media.duration,
            lambda ctx: summarize(
                chunks,
                timeline,
                media,
                self.gateway,
                ctx,
                context_id=chunk_key,
            ).model_dump(mode="json"),
        )
        return Summaries.model_validate(stored).model_copy(update={"media": media.path.name})

    def _ask(self, media: Media, questions: list[str]) -> list[Answer]:
        from .qa import answer_questions  # the Q&A engine; imported only when questions are asked

        llm = self.pipeline.llm
        upstream = {
            name: self.keys[name] for name in ("chunk", "index", "summarize") if name in self.keys
        }
        key = artifact_key(
            stage="ask", upstream=upstream, component=llm.identity(), questions=questions
        )
        stored = self._stage(
            "ask",
            llm,
            key,
            media.duration,
            lambda ctx: _answers.dump_python(
                answer_questions(self.folder.path, questions, self.pipeline, self.gateway),
                mode="json",
            ),
        )
        return _answers.validate_python(stored)

    # --- records ------------------------------------------------------------------------------

    def _write_run_record(self, media: Media) -> None:
        """run.json: all `halo ask RUN_DIR` needs to rebuild the pipeline in a new process."""
        pipeline = self.pipeline
        self.folder.write_json(
            "run.json",
            {
                "schema_version": 1,
                "spec": self.loaded.storable(),
                "spec_path": str(self.loaded.path),
                "cwd": str(Path.cwd()),  # relative paths in the spec (the cache's) start here
                "media": media.model_dump(mode="json"),
                "components": {
                    "extractors": [e.identity() for e in pipeline.extractors],
                    "chunker": pipeline.chunker.identity(),
                    "embedder": pipeline.embedder.identity(),
                    "index": pipeline.index.identity(),
                    "cache": pipeline.cache.identity(),
                    "llm": pipeline.llm.identity(),
                },
                "artifacts": str(self.store.root.resolve()),
            },
        )

    def _report(
        self,
        media: Media,
        started_at: str,
        wall: float,
        timeline: Timeline,
        chunks: list[Chunk],
        summaries: Summaries | None,
        answers: list[Answer],
    ) -> RunReport:
        requests = len(answers)
        if summaries is not None:
            requests += summary_requests(len(summaries.chunks), len(summaries.sections))
        transcript = " ".join(s.text for s in timeline.track("transcript")) or " ".join(
            c.text for c in chunks
        )
        naive_each = (
            self.pipeline.llm.count_tokens(
                LLMRequest(task="summarize", prompt="", context=transcript)
            )
            if requests
            else 0
        )
        return RunReport(
            spec=self.loaded.spec.name,
            media=media,
            started_at=started_at,
            wall_s=round(wall, 4),
            peak_rss_mb=round(peak_rss_mb(), 1),
            stages=self.stages,
            llm={m: u.model_copy() for m, u in self.gateway.usage_by_model.items()},
            llm_fallbacks_taken=list(self.gateway.fallbacks_taken),
            cache=self.gateway.tiers,
            chunk_count=len(chunks),
            naive_input_tokens=naive_each * requests,
        )


def _json_key(path: Path) -> str | None:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("key")
    except (OSError, ValueError, AttributeError):
        return None


def extraction_order(extractors: list[Extractor[Any]]) -> list[Extractor[Any]]:
    """The extractors in an order where each comes after those providing what it requires."""
    providers: dict[str, Extractor[Any]] = {}
    for extractor in extractors:
        if extractor.provides in providers:
            raise HaloError(
                f"extractors {providers[extractor.provides].name!r} and {extractor.name!r} both "
                f"provide the {extractor.provides!r} track",
                where="pipeline spec extractors",
                fix="keep only one of them",
            )
        providers[extractor.provides] = extractor
    for extractor in extractors:
        missing = [kind for kind in extractor.requires if kind not in providers]
        if missing:
            raise HaloError(
                f"extractor {extractor.name!r} requires the {', '.join(map(repr, missing))} track, "
                "which no extractor in the spec provides",
                where="pipeline spec extractors",
                fix=f"add an extractor that provides {missing[0]!r} before it",
            )
    order: list[Extractor[Any]] = []
    placed: set[str] = set()
    remaining = list(extractors)
    while remaining:
        ready = [e for e in remaining if all(r in placed for r in e.requires)]
        if not ready:
            names = ", ".join(repr(e.name) for e in remaining)
            raise HaloError(
                f"extractors {names} require each other's tracks (a cycle)",
                where="pipeline spec extractors",
                fix="break the cycle",
            )
        for extractor in ready:
            order.append(extractor)
            placed.add(extractor.provides)
            remaining.remove(extractor)
    return order
