"""`Job`: one input through the stage graph — stored artifacts reused or stages computed and
stored, progress, the output files as soon as what they read exists, run.json and the report.

An executor (`components.Executor`) decides when and where each stage runs; everything else about
a stage happens here, so every executor gets the same caching, outputs and report.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import media as media_probe
from .artifacts import ArtifactStore, artifact_key
from .build import Pipeline
from .calls import StageCall
from .chunk_plan import with_actuals
from .components import Component
from .context import RunContext
from .errors import BudgetExceeded, HaloError, StageFailed
from .estimate import whole_transcript
from .gateway import Tally
from .model import JSONValue, LLMRequest, Media, RunReport, StageReport, Timeline
from .models import ModelRef, ModelUses, release_freed_memory
from .outputs import RunFolder
from .outputs.files import OUTPUT_NAMES, Rendering
from .plugins import PluginSource, get_registry
from .progress import Progress
from .run_data import RunData, with_absolute_cache_path
from .spec import LoadedSpec, sidecar_questions
from .stages import Given, Stage, StageGraph, plan, timeline_of
from .summarize import summary_requests

PROBES_DIR = "probes"
"""Beside the artifacts: media records by path, size and mtime (not content-addressed)."""


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


@dataclass
class RunResult:
    """What happened to one input: its run folder, report and results, or the error that
    stopped it (`data` then holds what it finished, when it got as far as chunking)."""

    input: Path
    run_dir: Path | None = None
    report: RunReport | None = None
    error: HaloError | None = None
    data: RunData | None = None

    @property
    def exit_code(self) -> int:
        return self.error.exit_code if self.error else 0


@dataclass
class Job:
    """One input of a run. An executor calls `start()`, runs every stage of `graph` (each after
    its inputs) with `run_stage` — or `reuse` / `stage_call` / `finish_stage` elsewhere — and
    the runner calls `finish()`."""

    loaded: LoadedSpec
    pipeline: Pipeline
    store: ArtifactStore
    path: Path
    progress: Progress
    force: bool = False
    models: ModelUses = field(default_factory=ModelUses)
    """the run's model uses, shared by its jobs: a model is released after its last use"""
    cancelled: threading.Event = field(default_factory=threading.Event)
    error: HaloError | None = None
    failed_stage: str | None = None

    def __post_init__(self) -> None:
        spec = self.loaded.spec
        self.folder = RunFolder(Path(spec.outputs) / spec.name / self.path.stem, self.loaded.redact)
        self.gateway = self.pipeline.gateway()
        self._graph: StageGraph | None = None
        self.ctx = RunContext(stage="run", log=logging.getLogger("halo"),
                              on_progress=self.progress.update, cancelled=self.cancelled)
        self.values: dict[str, Any] = {}
        self.keys: dict[str, str] = {}
        self.reports: dict[str, StageReport] = {}
        self.written: set[str] = set()
        self.started = self.finished = False
        self.result: RunResult | None = None
        self._lock = threading.RLock()
        self._media: Media | None = None
        self._tracks: tuple[str, ...] = ()
        self._timeline: Timeline | None = None
        self._models_left: dict[str, list[ModelRef[Any, Any]]] = {}
        self._expect_models(plan(self.pipeline).stages)  # before the media is known: all stages
        self._loading: list[threading.Thread] = []
        self._stage_changed = threading.Condition(self._lock)

    @property
    def media(self) -> Media:
        assert self._media is not None, "Job.start() comes first"
        return self._media

    @property
    def graph(self) -> StageGraph:
        """The stages this input runs: planned for its media by `start()`."""
        assert self._graph is not None, "Job.start() comes first"
        return self._graph

    @property
    def probed(self) -> Media | None:
        """The media record once `start()` could read the input, else None."""
        return self._media

    # --- start and finish ---------------------------------------------------------------------

    def start(self) -> bool:
        """Probe the media, plan its stages (`stages.plan`: what this media can feed, the
        questions of its sidecar file) and mark the folder as a run in progress; False (and
        `error` set) when the input cannot be run."""
        self.started = True
        self._started_at = datetime.now(UTC).isoformat(timespec="seconds")
        self._t0 = time.monotonic()
        try:
            self._media = self._probe()
            self._graph = plan(self.pipeline, self._media, sidecar_questions(self.path))
        except HaloError as exc:
            self.error = exc
            return False
        self._expect_models(self.graph.stages)
        self._tracks = tuple(s.name for s in self.graph.stages if s.kind == "extractor")
        self.progress.message(f"{self.media.path.name}: {self.media.duration:.1f} s")
        for skipped in self.graph.skipped:
            self.progress.message(f"{self.media.path.name}: {skipped.notice}")
        self.folder.remove("report.json")  # a folder without report.json is unfinished
        self._write_record(incomplete={"stage": None, "error": "the run is in progress, or "
                                       "was stopped before it could say more"})
        return True

    def finish(self, interrupted: bool = False) -> RunResult:
        """The report and run.json when every stage finished; else run.json saying which stage
        failed. Either way, outputs this run did not write are removed: a folder never holds
        a previous run's files beside this one's."""
        if self.result is not None:
            return self.result
        self.finished = True
        for loading in self._loading:
            loading.join()
        for name in list(self._models_left):  # stages that will not run now
            self.models.done(self._models_left.pop(name))
        try:
            self.result = self._close(interrupted)
            return self.result
        finally:
            if self.started and self._media is not None:
                self.folder.remove_unwritten(*OUTPUT_NAMES)
                self.gateway.flush_stats()  # this run's cache hits/misses into `halo cache stats`

    def _close(self, interrupted: bool) -> RunResult:
        if not self.started or self._media is None:
            return RunResult(self.path, error=self.error)
        report = None
        if self.error is None and not interrupted:
            report = self._report()
            self.folder.write_model("report.json", report)
            self._write_record()
        else:
            what = self.error.message if self.error else "interrupted"
            self._write_record(incomplete={"stage": self.failed_stage, "error": what})
        return RunResult(self.path, self.folder.path, report=report, error=self.error,
                         data=self._data(report))

    # --- stages -------------------------------------------------------------------------------

    def key(self, stage: Stage) -> str:
        with self._lock:
            return stage.key(self.pipeline, self.media, self.keys)

    def reuse(self, stage: Stage) -> JSONValue | None:
        """The stage's stored artifact, when it finished before (and not --force)."""
        return None if self.force else self.store.get(self.key(stage))

    def given(self, stage: Stage) -> Given:
        with self._lock:
            return Given(self.media, {n: self.values[n] for n in stage.inputs},
                         {n: self.keys[n] for n in stage.inputs}, self.folder.path)

    def stage_call(self, stage: Stage) -> StageCall:
        """`stage` as a picklable call; its paths are absolute, as the process that runs it
        may work in another folder."""
        spec = with_absolute_cache_path(self.loaded.storable(), Path.cwd())
        given = replace(self.given(stage), folder=self.folder.path.absolute())
        return StageCall(spec, self.loaded.path.parent.absolute(), stage, given,
                         self.store.work_dir(self.key(stage)).absolute(), self.gateway.switched)

    def run_stage(self, stage: Stage) -> None:
        """Reuse or compute `stage` here, store it, and record it (`finish_stage`). A component's
        exception fails the job with StageFailed naming stage, component, distribution and
        input; BudgetExceeded and interrupts pass through untouched."""
        t0 = time.monotonic()
        try:
            value = self.reuse(stage)
            reused = value is not None
            if value is None:
                self._load_ahead(stage)
                self.progress.start(stage.name, self.media.duration)
                ctx = self.ctx.for_stage(stage.name, self.store.work_dir(self.key(stage)))
                try:
                    value = stage.compute(self.pipeline, self.gateway, self.given(stage), ctx)
                except (BudgetExceeded, KeyboardInterrupt):
                    raise
                except Exception as exc:
                    raise self.stage_failure(stage, exc) from exc
                finally:
                    release_freed_memory()  # what the stage freed, back to the OS
                if self.cancelled.is_set():
                    # A component that saw the run being cancelled may have returned early
                    # with part of its output: never store that as finished.
                    raise KeyboardInterrupt
            self.finish_stage(stage, value, time.monotonic() - t0, reused=reused)
        except Exception as exc:
            self.fail(stage, exc)
            raise

    def finish_stage(self, stage: Stage, value: JSONValue, wall_s: float, *,
                     reused: bool = False, tally: Tally | None = None) -> None:
        """Store a computed artifact, report the stage, and write the outputs now ready.
        `tally`: the LLM calls of a stage computed in another process, counted as this run's."""
        if tally is not None:
            self.gateway.add(tally)
        ended_s = time.monotonic() - self._t0  # the stage timeline (bench_pipeline's Gantt)
        key = self.key(stage)
        if not reused:
            key = self._answered_key(stage, key)
            self.store.put(key, value)
        duration = self.media.duration
        speed = duration / wall_s if not reused and duration and wall_s > 0 else None
        self.progress.finish(stage.name, reused=reused,
                             detail=f"{speed:.0f}x real time" if speed and wall_s > 0.05 else "")
        decoded = stage.decode(value, self.media)
        source = _source(stage.of(self.pipeline))
        with self._lock:
            self.keys[stage.name], self.values[stage.name] = key, decoded
            if self._timeline is None and all(t in self.values for t in self._tracks):
                self._timeline = timeline_of(self.media, self._tracks, self.values)
            self.reports[stage.name] = StageReport(
                stage=stage.name, component=stage.component,
                distribution=source.distribution if source else "unregistered",
                reused=reused, wall_s=round(wall_s, 4),
                started_s=round(max(0.0, ended_s - wall_s), 4), ended_s=round(ended_s, 4),
                real_time_factor=round(speed, 2) if speed else None,
                peak_rss_mb=round(peak_rss_mb(), 1))
            self._write_ready_outputs()
            done = self._models_left.pop(stage.name, [])
            self._stage_changed.notify_all()
        self.models.done(done)

    def _expect_models(self, stages: tuple[Stage, ...]) -> None:
        """The run's model uses expect those of `stages` (the ones this job runs), and no
        longer those of stages it planned before and will not run (the media cannot feed
        them)."""
        names = {stage.name for stage in stages}
        for name in [n for n in self._models_left if n not in names]:
            self.models.done(self._models_left.pop(name))
        for stage in stages:
            if stage.name not in self._models_left:
                self._models_left[stage.name] = refs = _models(stage.uses(self.pipeline))
                self.models.expect(refs)

    def _load_ahead(self, stage: Stage) -> None:
        """Load the models of the stages that will run after `stage` (they read what it is
        about to compute) in the background, so they are ready when their inputs are. Each
        stage's models load once every stage left is one it reads directly or one after it: a
        model loaded ahead does not sit in memory beside the models of stages running beside it
        (nor does a stage far down, such as `index`, load while the extractors run). A load
        that fails is left to the stage itself to report."""
        with self._lock:
            later = [s.name for s in self.graph.after(stage.name) if self._models_left.get(s.name)]
        if not later:
            return

        def ready_to_load(name: str) -> bool:
            """Wait until every stage left is one `name` reads directly or one after it;
            False when loading ahead for it is pointless now (it finished, or the run
            stopped)."""
            reads = next(s.inputs for s in self.graph.stages if s.name == name)
            waits_for_none = {name, *reads, *(s.name for s in self.graph.after(name))}
            with self._stage_changed:
                while True:
                    if self.cancelled.is_set() or self.error is not None:
                        return False
                    if name not in self._models_left:
                        return False
                    if set(self._models_left) <= waits_for_none:
                        return True
                    self._stage_changed.wait(timeout=1.0)  # also notices cancel and errors

        def load() -> None:
            for name in later:
                if not ready_to_load(name):
                    continue
                with self._lock:
                    refs = self._models_left.get(name, [])
                    # a use of its own while loading: should the stage finish meanwhile, the
                    # model is released after this load rather than kept for nobody
                    self.models.expect(refs)
                for ref in refs:
                    try:
                        ref.load()
                    except Exception:  # noqa: BLE001 - the stage loads it again, says what failed
                        logging.getLogger("halo").debug("loading ahead failed", exc_info=True)
                    finally:
                        self.models.done([ref])

        loading = threading.Thread(target=load, name="halo-load-ahead", daemon=True)
        self._loading.append(loading)
        loading.start()

    def _answered_key(self, stage: Stage, key: str) -> str:
        """`key`, unless an `llm.fallback` answered this LLM stage (in part: the switch holds
        for the rest of the run): then a key naming the fallback, so that a later run whose
        primary backend works is never served the fallback's text under the primary's key."""
        answering = self.gateway.backend
        if stage.of(self.pipeline) is not self.pipeline.llm or answering is self.pipeline.llm:
            return key
        return artifact_key(stage="answered-by-fallback", primary=key,
                            answered_by=answering.identity())

    def fail(self, stage: Stage, exc: BaseException) -> None:
        """Record the first failure of this job (a later one is a consequence)."""
        with self._lock:
            if self.error is not None:
                return
            self.failed_stage = stage.name
            self.error = exc if isinstance(exc, HaloError) else self.stage_failure(stage, exc)
            self._stage_changed.notify_all()

    def stage_failure(self, stage: Stage, exc: BaseException) -> StageFailed:
        """`exc`, raised computing `stage` (here or in another process), as the StageFailed the
        user sees: stage, component, distribution, input, and the fix."""
        if isinstance(exc, HaloError):  # its fix goes to the fix line; the input is named once
            inputs = (None, str(self.path), str(self.path.resolve()))
            detail = exc.what if exc.where in inputs else f"{exc.where}: {exc.what}"
        else:
            detail = f"{type(exc).__name__}: {exc}"
        component = stage.of(self.pipeline)
        failure = StageFailed(
            f"stage {stage.name!r} failed in {component.kind} {component.name!r} "
            f"({_distribution(component)}): {detail}",
            where=str(self.path),
            fix=(exc.fix if isinstance(exc, HaloError) and exc.fix else
                 "fix the cause above, then run the same command again: finished stages are "
                 "kept and reused (HALO_DEBUG=1 shows the traceback)"),
        )
        if isinstance(exc, HaloError):
            failure.exit_code = exc.exit_code  # bad input stays exit 2, as the component said
        return failure

    # --- outputs and records ------------------------------------------------------------------

    def _write_ready_outputs(self) -> None:
        rendering = Rendering(self.folder, self.media, self.values, self.keys, self.pipeline,
                              self._timeline)
        for output in self.graph.outputs:
            if output.name not in self.written and all(i in self.values for i in output.inputs):
                output.write(rendering)
                self.written.add(output.name)

    def _probe(self) -> Media:
        """The media record, stored by path, size and modification time: a re-run of a long
        video does not hash its bytes again."""
        try:
            stat = self.path.stat()
        except OSError:
            return media_probe.probe(self.path)  # says what is wrong with the path
        key = artifact_key(stage="probe", path=str(self.path.resolve()), size=stat.st_size,
                           mtime_ns=stat.st_mtime_ns, inode=stat.st_ino,
                           version=media_probe.PROBE_VERSION)
        probes = ArtifactStore(self.store.root.parent / PROBES_DIR)
        stored = None if self.force else probes.get(key)
        if stored is not None:
            return Media.model_validate(stored)
        media = media_probe.probe(self.path)
        probes.put(key, media.model_dump(mode="json"))
        return media

    def _write_record(self, incomplete: dict[str, Any] | None = None) -> None:
        """run.json: all `halo ask RUN_DIR` needs to rebuild the pipeline in a new process, and,
        while the run is not finished, what stopped it."""
        pipeline = self.pipeline
        record: dict[str, Any] = {
            "schema_version": 1,
            "spec": self.loaded.storable(),
            "spec_path": str(self.loaded.path),
            "cwd": str(Path.cwd()),  # relative paths in the spec (the cache's) start here
            "media": self.media.model_dump(mode="json"),
            "components": {
                "extractors": [e.identity() for e in pipeline.extractors],
                "chunker": pipeline.chunker.identity(),
                "embedder": pipeline.embedder.identity(),
                "index": pipeline.index.identity(),
                "cache": pipeline.cache.identity(),
                "llm": pipeline.llm.identity(),
            },
            "artifacts": str(self.store.root.resolve()),
        }
        if self._graph is not None:  # planned: what it asks (the spec's, --ask's, the sidecar's)
            record["questions"] = list(self._graph.questions)
        if incomplete is not None:
            record["incomplete"] = incomplete
        self.folder.write_json("run.json", record)

    def _data(self, report: RunReport | None) -> RunData | None:
        if "chunk" not in self.values:
            return None
        notes = self.folder.path / "notes.md"
        return RunData(
            folder=self.folder.path, media=self.media, chunks=self.values["chunk"].chunks,
            timeline=self._timeline,
            summaries=self.values.get("summarize"), answers=self.values.get("ask", []),
            notes=notes.read_text(encoding="utf-8") if "notes.md" in self.written else None,
            report=report)

    def _report(self) -> RunReport:
        data = self._data(None)
        assert data is not None and data.timeline is not None
        answers, summaries = data.answers, data.summaries
        requests = len(answers)
        if summaries is not None:
            requests += summary_requests(len(summaries.chunks), len(summaries.sections))
        transcript = whole_transcript(data.timeline, data.chunks)
        naive_each = self.pipeline.llm.count_tokens(
            LLMRequest(task="summarize", prompt="", context=transcript)) if requests else 0
        return RunReport(
            spec=self.loaded.spec.name,
            media=self.media,
            started_at=self._started_at,
            wall_s=round(time.monotonic() - self._t0, 4),
            peak_rss_mb=round(peak_rss_mb(), 1),
            stages=[self.reports[s.name] for s in self.graph.stages],
            skipped=list(self.graph.skipped),
            llm={m: u.model_copy() for m, u in self.gateway.usage_by_model.items()},
            llm_fallbacks_taken=list(self.gateway.fallbacks_taken),
            cache=self.gateway.tiers,
            chunk_count=len(data.chunks),
            naive_input_tokens=naive_each * requests,
            plan=with_actuals(self.values["plan"], summaries) if "plan" in self.values else None,
        )


def _models(components: list[Component[Any]]) -> list[ModelRef[Any, Any]]:
    return list(dict.fromkeys(ref for component in components for ref in component.models()))


def _source(component: Component[Any]) -> PluginSource | None:
    try:
        return get_registry().get(component.kind, component.name).source
    except HaloError:
        return None


def _distribution(component: Component[Any]) -> str:
    """`halo-scenedetect 0.1.0`: where a component came from, for error messages."""
    source = _source(component)
    return f"{source.distribution} {source.version}".strip() if source else "unregistered"
