"""`validate`: a dry build (`halo_core.build`: component names, each component's `with:`
against its `Config`, requires/provides between extractors, each component's `check()`, LLM
fallbacks), plus, optionally, that every input is media the extractors can read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import MediaError
from ..model import Media
from ..plugins import get_registry
from .loaded import LoadedSpec
from .problems import problem

if TYPE_CHECKING:
    from ..build import ComponentUse


@dataclass
class Report:
    """What `validate` found: problems (any means the spec cannot run), notices, what it uses."""

    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    components: list[ComponentUse] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)


def _media_problems(loaded: LoadedSpec, extractors: list[Any], report: Report) -> None:
    from ..media import missing_streams, probe

    for path in loaded.inputs:
        where = loaded.input_origins.get(path, str(loaded.path))
        try:
            media = probe(path)
        except MediaError as exc:
            report.problems.append(problem(f"{where}: {exc.where or path}", exc.what, exc.fix))
            continue
        report.media.append(media)
        for name, need in missing_streams(media, extractors):
            report.problems.append(problem(
                f"{where}: {path}", f"has no {need} stream, but extractor {name!r} "
                f"({_distribution(name)}) needs one", f"pass a file with {need}, or remove that "
                "extractor"))


def _distribution(extractor: str) -> str:
    return get_registry().components["extractor"][extractor].distribution.strip("()")


def inspect_spec(loaded: LoadedSpec, *, media: bool = False) -> Report:
    """Everything `validate` finds, plus notices and the components (with distributions) used."""
    from ..build import build

    built = build(loaded)
    if isinstance(built, list):
        report = Report(problems=built)
        named = getattr(loaded.spec, "extractors", [])  # the spec may not have taken shape
        known = get_registry().components["extractor"]
        extractors: list[Any] = [known[r.use].cls for r in named if r.use in known]
    else:
        built.close()  # a dry build: validation holds nothing open
        report = Report(notices=built.notices, components=built.uses)
        extractors = built.extractors
    if media:
        _media_problems(loaded, extractors, report)
    # a problem may quote a value, and values from the environment are secrets
    report.problems = [loaded.redact(p) for p in report.problems]
    report.notices = [loaded.redact(n) for n in report.notices]
    return report


def validate(loaded: LoadedSpec, *, media: bool = False) -> list[str]:
    """Every problem that would stop this spec from building or running, each `file:line:col: …`.

    With `media=True`, each input is also probed (streams, not decoding): not media, empty,
    unreadable, or lacking a stream an extractor needs.
    """
    return inspect_spec(loaded, media=media).problems
