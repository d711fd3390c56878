"""`validate`: a dry build (`halo_core.build`: component names, each component's `with:`
against its `Config`, requires/provides between extractors, each component's `check()`, LLM
fallbacks), plus, optionally, every input probed and planned as a run would plan it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import MediaError
from ..model import Media
from .loaded import LoadedSpec
from .problems import problem

if TYPE_CHECKING:
    from ..build import ComponentUse, Pipeline


@dataclass
class Report:
    """What `validate` found: problems (any means the spec cannot run), notices, what it uses."""

    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    components: list[ComponentUse] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)


def _media_problems(loaded: LoadedSpec, pipeline: Pipeline | None, report: Report) -> None:
    """Each input probed; with a built pipeline, also planned as a run would (`stages.plan`):
    extractors it cannot feed are notices, a `required: true` one a problem, and so is a bad
    sidecar questions file."""
    from ..media import probe
    from ..stages import plan
    from .questions import sidecar_questions

    for path in loaded.inputs:
        where = loaded.input_origins.get(path, str(loaded.path))
        try:
            media = probe(path)
            report.media.append(media)
            if pipeline is not None:
                graph = plan(pipeline, media, sidecar_questions(path))
                report.notices += [f"{path.name}: {k.notice}" for k in graph.skipped]
        except MediaError as exc:
            report.problems.append(problem(f"{where}: {exc.where or path}", exc.what, exc.fix))


def inspect_spec(loaded: LoadedSpec, *, media: bool = False) -> Report:
    """Everything `validate` finds, plus notices and the components (with distributions) used."""
    from ..build import build

    built = build(loaded)
    if isinstance(built, list):
        report = Report(problems=built)
        pipeline = None
    else:
        report = Report(notices=built.notices, components=built.uses)
        pipeline = built
    try:
        if media:
            _media_problems(loaded, pipeline, report)
    finally:
        if pipeline is not None:
            pipeline.close()  # a dry build: validation holds nothing open
    # a problem may quote a value, and values from the environment are secrets
    report.problems = [loaded.redact(p) for p in report.problems]
    report.notices = [loaded.redact(n) for n in report.notices]
    return report


def validate(loaded: LoadedSpec, *, media: bool = False) -> list[str]:
    """Every problem that would stop this spec from building or running, each `file:line:col: …`.

    With `media=True`, each input is also probed (streams, not decoding) and planned: not
    media, empty, unreadable, lacking a stream a `required: true` extractor needs, or with a
    bad sidecar questions file. (Extractors an input cannot feed are notices, not problems.)
    """
    return inspect_spec(loaded, media=media).problems
