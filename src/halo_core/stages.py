"""The stages of a run. Each declares what it reads (`inputs`: names of earlier stages), what it
produces (its artifact: JSON, stored content-addressed under its key) and how its key is derived
(`key`), so a re-run finds every finished stage again. `plan` derives a spec's graph.

- one stage per extractor, named by its track (`transcript`…): reads the tracks it requires;
  key: `extract`, media SHA-256, extractor identity, the keys of the tracks it requires, the
  SHA-256 of each file besides the media it `reads` (none: no such part).
- `chunk`: reads every track; key: `chunk`, media SHA-256, chunker identity, every track's key.
- `index`: reads `chunk`; key: `index`, the chunk key, embedder and index identities.
- `plan` (tasks.summarize, and an LLM with a budget that offers per-chunk settings): reads
  every track, `chunk` and `index` when questions are asked; key: `plan`, the chunk/index keys,
  LLM identity, its ladder (settings, budget, day of the prices), the prompts' hash, the questions.
- `summarize` (tasks.summarize): reads every track, `chunk` and `plan` when there is one; key:
  `summarize`, the chunk key (and the plan's), LLM identity, the prompts' hash.
- `ask` (the input's questions: tasks.ask, then its sidecar's): reads every track, `chunk`,
  `index`, `summarize` when on; key: `ask`, the chunk/index/summarize keys, LLM identity, the
  questions.
- `qa`: what Q&A embeds besides the chunks — the passage index, kept in `<run>/qa/passages`, and
  the summaries' vectors, kept in L3 (`QA.prepare`) — so the first question after a run embeds
  only itself; reads every track, `chunk`, `index`, `summarize` when on and `ask` when there is
  one (after it: the ask stage's answers stay those of a run without this stage); key: `qa`,
  the chunk/index/summarize keys, embedder, index and LLM identities.

`plan` makes one input's graph: the extractors its media can feed, and what reads them.

Stage objects are frozen dataclasses of names and numbers: picklable. What they compute with —
the components and the gateway — comes from a `Pipeline` built from the spec where they run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import TypeAdapter

from .artifacts import artifact_key
from .chunk_plan import make_plan
from .chunking import SPEAKERS, TRANSCRIPT
from .components import Component, Kind
from .context import RunContext
from .errors import MediaError
from .estimate import Estimator, estimate_call, naive_calls, whole_transcript
from .gateway import LLMGateway, stable_hash
from .graph import Node, blocked, order
from .media import sha256_file
from .model import (
    Answer,
    ChunkPlan,
    ChunkSet,
    JSONValue,
    Media,
    Segment,
    SkippedExtractor,
    Summaries,
    Timeline,
)
from .outputs.files import OutputFile, output_files
from .speakers import label_transcript
from .summarize import PROMPTS, chunk_request, summarize

if TYPE_CHECKING:
    from .build import Pipeline
    from .run_data import RunData

SUMMARIZE_VERSION = stable_hash(PROMPTS)[:12]
"""Part of the summarize stage's key: changing the prompts invalidates stored summaries."""

_segments = TypeAdapter(list[Segment])
_answers = TypeAdapter(list[Answer])


def run_wide(pipeline: Pipeline) -> list[Component[Any]]:
    """The components every stage after the extractors may call (the gateway embeds for its
    semantic cache, Q&A for retrieval), and questions after the run too: their models stay."""
    return [pipeline.chunker, pipeline.embedder, pipeline.index, pipeline.llm]


@dataclass(frozen=True)
class Given:
    """What a stage computes from: the media, its inputs' values (decoded) and keys, the run
    folder (Q&A keeps its passage index there)."""

    media: Media
    values: Mapping[str, Any]
    keys: Mapping[str, str]
    folder: Path


@dataclass(frozen=True)
class Stage(Node):
    kind: Kind
    """the kind of component that computes it"""
    component: str
    """that component's name"""

    def of(self, pipeline: Pipeline) -> Component[Any]:
        """The component instance that computes this stage."""
        found: Component[Any] = getattr(pipeline, self.kind)
        return found

    def key(self, pipeline: Pipeline, media: Media, keys: Mapping[str, str]) -> str:
        raise NotImplementedError

    def compute(self, pipeline: Pipeline, gateway: LLMGateway, given: Given,
                ctx: RunContext) -> JSONValue:
        raise NotImplementedError

    def decode(self, value: Any, media: Media) -> Any:
        """The stored artifact as the typed object later stages and outputs read."""
        return value

    def uses(self, pipeline: Pipeline) -> list[Component[Any]]:
        """The components computing this stage may call: by default the run-wide ones."""
        return run_wide(pipeline)


@dataclass(frozen=True)
class ExtractStage(Stage):
    index: int
    """position among the spec's extractors"""

    @classmethod
    def of_class(cls, extractor: type[Component[Any]], index: int) -> ExtractStage:
        return cls(str(getattr(extractor, "provides", "")),
                   tuple(getattr(extractor, "requires", ())), "extractor", extractor.name, index)

    @property
    def role(self) -> str:
        return "extractor"

    @property
    def label(self) -> str:
        return self.component

    def of(self, pipeline: Pipeline) -> Component[Any]:
        return pipeline.extractors[self.index]

    def uses(self, pipeline: Pipeline) -> list[Component[Any]]:
        return [self.of(pipeline)]

    def key(self, pipeline: Pipeline, media: Media, keys: Mapping[str, str]) -> str:
        extractor = pipeline.extractors[self.index]
        # only when there are files: the keys of extractors that read none stay as they were
        read = [sha256_file(path) for path in extractor.reads(media)]
        return artifact_key(stage="extract", media=media.sha256,
                            component=extractor.identity(),
                            upstream={track: keys[track] for track in sorted(self.inputs)},
                            **({"reads": read} if read else {}))

    def compute(self, pipeline: Pipeline, gateway: LLMGateway, given: Given,
                ctx: RunContext) -> JSONValue:
        upstream = Timeline(duration=given.media.duration,
                            tracks={track: given.values[track] for track in self.inputs})
        segments = pipeline.extractors[self.index].extract(given.media, upstream, ctx)
        return _segments.dump_python(_segments.validate_python(segments), mode="json")

    def decode(self, value: Any, media: Media) -> Any:
        return _segments.validate_python(value)


def timeline_of(media: Media, tracks: Sequence[str], values: Mapping[str, Any]) -> Timeline:
    """The run's timeline: every track in graph order, speaker labels joined onto the
    transcript when the run has both (`speakers.py`)."""
    timeline = Timeline(duration=media.duration)
    for track in tracks:
        timeline = timeline.with_track(track, values[track])
    if timeline.track(TRANSCRIPT) and timeline.track(SPEAKERS):
        labelled = label_transcript(timeline.track(TRANSCRIPT), timeline.track(SPEAKERS))
        timeline = timeline.with_track(TRANSCRIPT, labelled)
    return timeline


@dataclass(frozen=True)
class ChunkStage(Stage):
    def key(self, pipeline: Pipeline, media: Media, keys: Mapping[str, str]) -> str:
        return artifact_key(stage="chunk", media=media.sha256,
                            component=pipeline.chunker.identity(),
                            upstream={track: keys[track] for track in self.inputs})

    def compute(self, pipeline: Pipeline, gateway: LLMGateway, given: Given,
                ctx: RunContext) -> JSONValue:
        timeline = timeline_of(given.media, self.inputs, given.values)
        return [c.model_dump(mode="json")
                for c in pipeline.chunker.chunk(timeline, given.media, ctx)]

    def decode(self, value: Any, media: Media) -> ChunkSet:
        return ChunkSet(media=media.path.name, duration=media.duration, chunker=self.component,
                        chunks=value)


@dataclass(frozen=True)
class IndexStage(Stage):
    """The chunk texts' vectors (the embedder's; `index` names the stage after its use)."""

    def of(self, pipeline: Pipeline) -> Component[Any]:
        return pipeline.embedder

    def key(self, pipeline: Pipeline, media: Media, keys: Mapping[str, str]) -> str:
        return artifact_key(stage="index", upstream=keys["chunk"],
                            embedder=pipeline.embedder.identity(),
                            index=pipeline.index.identity())

    def compute(self, pipeline: Pipeline, gateway: LLMGateway, given: Given,
                ctx: RunContext) -> JSONValue:
        chunks = given.values["chunk"].chunks
        vectors = (pipeline.embedder.embed([c.text for c in chunks]) if chunks
                   else np.zeros((0, 0)))
        ctx.progress(given.media.duration, given.media.duration)
        return {"ids": [c.id for c in chunks], "vectors": np.asarray(vectors).tolist()}


def _run_data(given: Given, tracks: Sequence[str], summaries: Summaries | None) -> RunData:
    """What Q&A reads: the run's results so far, as objects."""
    from .run_data import RunData

    index = given.values["index"]
    return RunData(folder=given.folder, media=given.media, chunks=given.values["chunk"].chunks,
                   timeline=timeline_of(given.media, tracks, given.values), summaries=summaries,
                   chunk_vectors=(index["ids"], np.asarray(index["vectors"], np.float32)))


@dataclass(frozen=True)
class PlanStage(Stage):
    """The per-chunk cost plan (`chunk_plan.py`): each chunk's setting priced by the backend,
    the rest of the run's LLM work planned as `--estimate` plans it. No generation call."""

    tracks: tuple[str, ...]
    questions: tuple[str, ...]

    def key(self, pipeline: Pipeline, media: Media, keys: Mapping[str, str]) -> str:
        ladder = pipeline.llm.cost_ladder()
        return artifact_key(stage="plan",
                            upstream={n: keys[n] for n in ("chunk", "index") if n in self.inputs},
                            component=pipeline.llm.identity(),
                            ladder=ladder.model_dump(mode="json") if ladder else None,
                            prompts=SUMMARIZE_VERSION, questions=list(self.questions))

    def compute(self, pipeline: Pipeline, gateway: LLMGateway, given: Given,
                ctx: RunContext) -> JSONValue:
        llm = pipeline.llm
        ladder = llm.cost_ladder()
        assert ladder is not None, "the graph has a plan stage only for a backend with a ladder"
        media, chunks = given.media, given.values["chunk"].chunks
        timeline = timeline_of(media, self.tracks, given.values)
        calls = [[estimate_call(llm, chunk_request(c, media, s)) for s in ladder.settings]
                 for c in chunks]
        # The rest of the run's work does not depend on the chunks' settings: plan it once.
        estimator = Estimator(llm)
        planning = LLMGateway(estimator)
        summaries = summarize(chunks, timeline, media, planning, ctx,
                              context_id=given.keys["chunk"],
                              settings={c.id: ladder.settings[0] for c in chunks})
        summary_calls = len(estimator.totals.calls)
        if self.questions:
            from .qa import QA  # the Q&A engine; imported only when questions are asked

            qa = QA(_run_data(given, self.tracks, summaries), pipeline, planning)
            for question in self.questions:
                qa.ask(question)
        made = estimator.totals.calls
        naive = naive_calls(llm, media, whole_transcript(timeline, chunks),
                            list(self.questions), summarize=True)
        plan = make_plan(ladder, chunks, timeline, calls,
                         summaries=[c for c in made[:summary_calls] if c.level != "chunk"],
                         questions=made[summary_calls:],
                         naive_usd=sum(c.cost_usd for c in naive), where="llm.with.max_cost_usd")
        return plan.model_dump(mode="json")

    def decode(self, value: Any, media: Media) -> ChunkPlan:
        return ChunkPlan.model_validate(value)


@dataclass(frozen=True)
class SummarizeStage(Stage):
    tracks: tuple[str, ...]

    def key(self, pipeline: Pipeline, media: Media, keys: Mapping[str, str]) -> str:
        planned = {"plan": keys["plan"]} if "plan" in self.inputs else {}
        return artifact_key(stage="summarize", upstream=keys["chunk"], **planned,
                            component=pipeline.llm.identity(), prompts=SUMMARIZE_VERSION)

    def compute(self, pipeline: Pipeline, gateway: LLMGateway, given: Given,
                ctx: RunContext) -> JSONValue:
        timeline = timeline_of(given.media, self.tracks, given.values)
        plan: ChunkPlan | None = given.values.get("plan")
        summaries = summarize(given.values["chunk"].chunks, timeline, given.media, gateway, ctx,
                              context_id=given.keys["chunk"],
                              settings={c.id: c.setting for c in plan.chunks} if plan else None)
        return summaries.model_dump(mode="json")

    def decode(self, value: Any, media: Media) -> Summaries:
        return Summaries.model_validate(value).model_copy(update={"media": media.path.name})


@dataclass(frozen=True)
class AskStage(Stage):
    tracks: tuple[str, ...]
    questions: tuple[str, ...]

    def key(self, pipeline: Pipeline, media: Media, keys: Mapping[str, str]) -> str:
        upstream = {name: keys[name] for name in ("chunk", "index", "summarize") if name in keys}
        return artifact_key(stage="ask", upstream=upstream, component=pipeline.llm.identity(),
                            questions=list(self.questions))

    def compute(self, pipeline: Pipeline, gateway: LLMGateway, given: Given,
                ctx: RunContext) -> JSONValue:
        from .qa import QA  # the Q&A engine; imported only when questions are asked

        qa = QA(_run_data(given, self.tracks, given.values.get("summarize")), pipeline, gateway)
        return _answers.dump_python([qa.ask(q) for q in self.questions], mode="json")

    def decode(self, value: Any, media: Media) -> list[Answer]:
        return _answers.validate_python(value)


@dataclass(frozen=True)
class QaStage(Stage):
    """Q&A's indexes made by the run (`QA.prepare`, the function a question calls lazily in a
    run folder without them). Its artifact is the record of what they hold; the passage index
    itself is kept in the run folder, under its own key, where `halo ask` opens it."""

    tracks: tuple[str, ...]

    def of(self, pipeline: Pipeline) -> Component[Any]:
        return pipeline.embedder

    def key(self, pipeline: Pipeline, media: Media, keys: Mapping[str, str]) -> str:
        upstream = {name: keys[name] for name in ("chunk", "index", "summarize")
                    if name in self.inputs}
        # the LLM's identity scopes the summaries' vectors in L3
        return artifact_key(stage="qa", upstream=upstream, embedder=pipeline.embedder.identity(),
                            index=pipeline.index.identity(), llm=pipeline.llm.identity())

    def compute(self, pipeline: Pipeline, gateway: LLMGateway, given: Given,
                ctx: RunContext) -> JSONValue:
        from .qa import QA  # the Q&A engine

        qa = QA(_run_data(given, self.tracks, given.values.get("summarize")), pipeline, gateway)
        held = qa.prepare()
        ctx.progress(given.media.duration, given.media.duration)
        return held


@dataclass(frozen=True)
class StageGraph:
    """Stages (computed, stored, scheduled by an executor) in dependency order, the output
    files the job writes as soon as the stages they read have finished, and the extractors
    left out because the input cannot feed them."""

    stages: tuple[Stage, ...]
    outputs: tuple[OutputFile, ...]
    skipped: tuple[SkippedExtractor, ...] = ()

    def ready(self, done: set[str], started: set[str]) -> list[Stage]:
        """Stages not started yet whose inputs are all done."""
        return [s for s in self.stages
                if s.name not in started and all(i in done for i in s.inputs)]

    def after(self, name: str) -> list[Stage]:
        """The stages that read `name`, directly or through others, in graph order."""
        later = {name}
        for stage in self.stages:  # in dependency order: a reader comes after what it reads
            if later.intersection(stage.inputs):
                later.add(stage.name)
        return [s for s in self.stages if s.name in later and s.name != name]

    @property
    def questions(self) -> tuple[str, ...]:
        """What the ask stage answers (none: no ask stage)."""
        return next((s.questions for s in self.stages if isinstance(s, AskStage)), ())


def plan(pipeline: Pipeline, media: Media | None = None,
         questions: Sequence[str] = ()) -> StageGraph:
    """The stages one input runs, in dependency order, and the output files they feed.

    The one place that works out what runs for this media: an extractor needing a stream the
    file lacks is left out (`skipped`), and so, transitively, is one reading a track left out;
    the chunk, summarize and ask stages read the tracks that remain. An extractor the spec marks
    `required: true` is never left out: MediaError (what, where, fix) instead. `questions` are
    asked besides the spec's `tasks.ask` (repeats once). Without `media` (not probed yet):
    every extractor, what a run of the spec may use.
    """
    tasks = pipeline.spec.tasks
    extract = order(ExtractStage.of_class(type(e), n) for n, e in enumerate(pipeline.extractors))
    skipped = _skipped(pipeline, media, extract) if media is not None else []
    extract = [s for s in extract if s.name not in {k.track for k in skipped}]
    tracks = tuple(s.name for s in extract)
    stages: list[Stage] = [*extract, ChunkStage("chunk", tracks, "chunker", pipeline.chunker.name),
                           IndexStage("index", ("chunk",), "embedder", pipeline.embedder.name)]
    llm = pipeline.llm.name
    asked = tuple(dict.fromkeys([*tasks.ask, *questions]))
    if tasks.summarize:
        planned: tuple[str, ...] = ()
        if pipeline.llm.cost_ladder() is not None:
            read = ("chunk", *(("index",) if asked else ()))
            stages.append(PlanStage("plan", (*tracks, *read), "llm", llm, tracks, asked))
            planned = ("plan",)
        stages.append(SummarizeStage("summarize", (*tracks, "chunk", *planned), "llm", llm,
                                     tracks))
    if asked:
        read = ("chunk", "index", *(("summarize",) if tasks.summarize else ()))
        stages.append(AskStage("ask", (*tracks, *read), "llm", llm, tracks, asked))
    later = ("chunk", "index", *(("summarize",) if tasks.summarize else ()),
             *(("ask",) if asked else ()))
    stages.append(QaStage("qa", (*tracks, *later), "embedder", pipeline.embedder.name, tracks))
    outputs = output_files(pipeline.spec, tracks, asked=bool(asked),
                           notices=tuple(k.notice for k in skipped))
    return StageGraph(tuple(stages), outputs, tuple(skipped))


def _skipped(pipeline: Pipeline, media: Media,
             extract: Sequence[ExtractStage]) -> list[SkippedExtractor]:
    """The extractors `media` cannot feed, in graph order; MediaError for a required one."""
    present = {kind for kind, has in (("audio", media.has_audio), ("video", media.has_video))
               if has}
    unmet = {s.name: need for s in extract  # the stream (audio, video) it lacks first
             for need in sorted(set(getattr(s.of(pipeline), "media_needs", ())) - present)[:1]}
    found: list[SkippedExtractor] = []
    lacking: dict[str, str] = {}  # track -> the stream whose absence left it out
    for name, why in blocked(extract, unmet).items():
        stage = why.node
        assert isinstance(stage, ExtractStage)
        if why.unmet is not None:
            lacking[name] = why.unmet
            missing = f"{why.unmet} stream"
            reason = f"the file has no {missing}"
        else:
            lacking[name] = lacking[str(why.upstream)]
            cause = next(k for k in found if k.track == why.upstream)
            missing = f"{why.upstream} track"
            reason = f"it reads the {why.upstream!r} track, which was skipped ({cause.reason})"
        if pipeline.spec.extractors[stage.index].required:
            raise MediaError(
                f"extractor {stage.component!r} is `required: true`, but {reason}",
                where=str(media.path),
                fix=f"pass a file that has {lacking[name]}, or drop `required: true` to skip "
                "that extractor on such files")
        found.append(SkippedExtractor(extractor=stage.component, track=name, missing=missing,
                                      reason=reason))
    return found
