"""The output files of a run folder, each declared with the stages it reads: the runner writes
one as soon as those stages have finished, so a run stopped by a failure or the LLM budget keeps
every output it got to."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..chunking import SLIDES
from ..exports import FILES, ExportInput, render_export
from ..graph import Node
from ..model import Media, Timeline
from ..spec_model import PipelineSpec
from ..titles import video_title
from . import RunFolder
from .notes import render_notes
from .svg import render_timeline_svg

if TYPE_CHECKING:
    from ..build import Pipeline

OUTPUT_NAMES = ("timeline.json", "chunks.json", "summaries.json", "answers.json", "notes.md",
                "timeline.svg", "report.json", *FILES.values())
"""Every file a run may write besides run.json and index/: a run that does not write one
removes a previous run's copy, so a folder never mixes two runs' files."""


@dataclass(frozen=True)
class Rendering:
    """What an output is written from: the run so far."""

    folder: RunFolder
    media: Media
    values: Mapping[str, Any]
    keys: Mapping[str, str]
    pipeline: Pipeline
    timeline: Timeline | None
    """every track joined (`stages.timeline_of`), once they are all done"""

    def whole_timeline(self) -> Timeline:
        assert self.timeline is not None, "an output reading the timeline declares every track"
        return self.timeline


@dataclass(frozen=True)
class OutputFile(Node):
    title: str
    """`<spec name>: <media>`: notes and svg titles start with it"""
    notices: tuple[str, ...] = ()
    """what the run left out (`SkippedExtractor.notice`): the notes say it under the title"""

    def write(self, run: Rendering) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class TimelineJson(OutputFile):
    def write(self, run: Rendering) -> None:
        run.folder.write_model(self.name, run.whole_timeline())


@dataclass(frozen=True)
class ModelJson(OutputFile):
    """One stage's value as it is (chunks.json, summaries.json)."""

    def write(self, run: Rendering) -> None:
        run.folder.write_model(self.name, run.values[self.inputs[0]])


@dataclass(frozen=True)
class AnswersJson(OutputFile):
    def write(self, run: Rendering) -> None:
        run.folder.write_json(self.name, [a.model_dump(mode="json") for a in run.values["ask"]])


@dataclass(frozen=True)
class NotesMd(OutputFile):
    def write(self, run: Rendering) -> None:
        # titled from the video (title card, title tag, file name), not the spec
        shown = Timeline(duration=run.media.duration)
        if SLIDES in self.inputs:
            shown = shown.with_track(SLIDES, run.values[SLIDES])
        notes = render_notes(video_title(run.media, shown), run.media,
                             run.values["summarize"], run.values["chunk"].chunks,
                             run.values.get("ask", []), self.notices)
        run.folder.write_text(self.name, notes)


@dataclass(frozen=True)
class TimelineSvg(OutputFile):
    def write(self, run: Rendering) -> None:
        svg = render_timeline_svg(run.whole_timeline(), run.values["chunk"].chunks,
                                  title=f"{self.title}{run.media.path.name}")
        run.folder.write_text(self.name, svg)


@dataclass(frozen=True)
class IndexFolder(OutputFile):
    """`index/`: the chunk vectors in the spec's vector index, saved for `halo ask`."""

    def write(self, run: Rendering) -> None:
        key, stored = run.keys["index"], run.values["index"]
        index_dir = run.folder.path / "index"
        if _json_key(index_dir / "stage.json") == key:
            return  # the saved index is this stage's output already
        index = run.pipeline.fresh_index()
        if stored["ids"]:
            index.add(stored["ids"], np.asarray(stored["vectors"], dtype=np.float32))
        index_dir.mkdir(parents=True, exist_ok=True)
        index.save(index_dir)
        run.folder.write_json("index/stage.json", {
            "key": key, "ids": stored["ids"], "embedder": run.pipeline.embedder.identity(),
            "index": run.pipeline.index.identity()})


@dataclass(frozen=True)
class ExportFile(OutputFile):
    """One of `tasks.export` (`exports/`): named `export:<format>`, written to `FILES[format]`
    after everything else (the `md` export replaces notes.md)."""

    def write(self, run: Rendering) -> None:
        fmt = self.name.removeprefix("export:")
        timeline = run.whole_timeline()
        results = ExportInput(video_title(run.media, timeline), run.media,
                              timeline, run.values["chunk"].chunks,
                              run.values.get("summarize"), run.values.get("ask", []),
                              self.notices)
        run.folder.write_text(FILES[fmt], render_export(fmt, results))


def _json_key(path: Path) -> str | None:
    try:
        key = json.loads(path.read_text(encoding="utf-8")).get("key")
    except (OSError, ValueError, AttributeError):
        return None
    return key if isinstance(key, str) else None


def output_files(spec: PipelineSpec, tracks: tuple[str, ...], *, asked: bool,
                 notices: tuple[str, ...] = ()) -> tuple[OutputFile, ...]:
    """The files a run of `spec` writes (run.json and report.json are the runner's records):
    `tracks` are the ones it extracts, `asked` whether it answers questions, `notices` what it
    left out."""
    title = f"{spec.name}: "
    files: list[OutputFile] = [TimelineJson("timeline.json", tracks, title),
                               ModelJson("chunks.json", ("chunk",), title),
                               IndexFolder("index/", ("index",), title),
                               TimelineSvg("timeline.svg", (*tracks, "chunk"), title)]
    if spec.tasks.summarize:
        files.append(ModelJson("summaries.json", ("summarize",), title))
    answers = ("ask",) if asked else ()
    if asked:
        files.append(AnswersJson("answers.json", answers, title))
    if spec.tasks.summarize and spec.tasks.notes:
        slides = (SLIDES,) if SLIDES in tracks else ()
        files.append(NotesMd("notes.md", ("summarize", "chunk", *answers, *slides), title,
                             notices))
    everything = (*tracks, "chunk", *(("summarize",) if spec.tasks.summarize else ()), *answers)
    files += [ExportFile(f"export:{fmt}", everything, title, notices)
              for fmt in spec.tasks.export]
    return tuple(files)
