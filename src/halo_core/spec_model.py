"""The pipeline spec's shape (version 1). Loading, interpolation and validation: `spec/`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ExportFormat = Literal["srt", "vtt", "chapters", "vtt-chapters", "md", "json"]
"""What `tasks.export` and `halo export --format` accept (see `halo_core.exports`)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ComponentRef(_Strict):
    """`use:` names a registered component; `with:` is validated against its `Config`."""

    use: str = Field(description="the component's registered name")
    with_: dict[str, Any] = Field(
        default_factory=dict,
        alias="with",
        description="options, validated against the component's Config",
    )


class ExtractorRef(ComponentRef):
    """An extractor: `use:` and `with:` as for any component; `required:` whether an input that
    cannot feed it fails the run (else it is skipped with a notice)."""

    required: bool = Field(
        default=False,
        description="fail on an input lacking what this extractor needs (an audio or video "
        "stream, or the track of an extractor skipped for that reason) instead of skipping it "
        "with a notice",
    )


class LLMRef(ComponentRef):
    fallback: list[str | ComponentRef] = Field(
        default_factory=list,
        description="LLM backends to use, in order, when this one cannot run (e.g. no API key) "
        "or keeps failing during a run (transient errors after its own retries): a name, or "
        "`{use: NAME, with: {...}}` for a fallback with its own options",
    )


class Tasks(_Strict):
    summarize: bool = Field(default=True, description="chunk, section and video summaries")
    notes: bool = Field(default=True, description="write notes.md (needs summarize)")
    ask: list[str] = Field(
        default_factory=list,
        description="questions answered into answers.json for every input; questions for one "
        "input come from `halo run --ask` or the sidecar `<media stem>.questions.yaml`",
    )
    export: list[ExportFormat] = Field(
        default_factory=list,
        description="exports written into the run folder: srt, vtt (captions.srt/.vtt), chapters "
        "(chapters.txt), vtt-chapters (chapters.vtt), md (notes.md), json (export.json)",
    )


class PipelineSpec(_Strict):
    version: Literal[1] = 1
    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="names the run folder: <outputs>/<name>/<media stem>/",
    )
    inputs: list[str] = Field(
        default_factory=list, description="media files or globs, relative to the spec's folder"
    )
    extractors: list[ExtractorRef] = Field(
        default_factory=list,
        description="the tracks to extract; one an input cannot feed is skipped with a notice, "
        "unless `required: true`",
    )
    chunker: ComponentRef = Field(default_factory=lambda: ComponentRef(use="rules"))
    embedder: ComponentRef = Field(default_factory=lambda: ComponentRef(use="hashing"))
    index: ComponentRef = Field(default_factory=lambda: ComponentRef(use="numpy"))
    cache: ComponentRef = Field(
        default_factory=lambda: ComponentRef(use="sqlite", with_={"path": ".halo/cache.db"})
    )
    llm: LLMRef = Field(default_factory=lambda: LLMRef(use="extractive"))
    executor: ComponentRef = Field(
        default_factory=lambda: ComponentRef(use="local"),
        description="runs the stages: `local` (this process); `halo run --executor NAME`",
    )
    tasks: Tasks = Field(default_factory=Tasks)
    outputs: str = Field(default="runs", description="folder for run outputs, relative to the cwd")
    max_workers: int = Field(
        default=4,
        ge=1,
        description="independent stages run concurrently up to this (stages mostly wait on "
        "decoders and inference engines that keep their own thread counts)",
    )
