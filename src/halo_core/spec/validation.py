"""`validate`: what building and running a loaded spec would need. Component names, each
component's `with:` against its `Config`, requires/provides between extractors, each component's
`check()`, LLM fallbacks, and (optionally) that every input is media the extractors can read."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ..components import Kind
from ..errors import MediaError
from ..model import Media
from ..plugins import ComponentInfo, Registry, get_registry, missing_component
from ..spec_model import PipelineSpec
from .loaded import LoadedSpec
from .problems import Locations, NodePath, problem, subject
from .shape import COMPONENT_FIELDS, pydantic_problems
from .tracks import track_problems


@dataclass
class ComponentUse:
    kind: Kind
    name: str
    distribution: str
    version: str
    role: str = ""  # how the spec uses it, e.g. "llm fallback"; the kind when empty

    def __post_init__(self) -> None:
        self.role = self.role or self.kind.replace("_", " ")


@dataclass
class Report:
    """What `validate` found: problems (any means the spec cannot run), notices, what it uses."""

    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    components: list[ComponentUse] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)


def _component_refs(
    data: dict[str, Any],
) -> Iterator[tuple[Kind, NodePath, dict[str, Any], bool]]:
    """(kind, path, ref, is_default) for every component the spec uses, defaults included."""
    for field_name, kind in COMPONENT_FIELDS.items():
        value = data.get(field_name)
        if field_name == "extractors":
            for index, ref in enumerate(value if isinstance(value, list) else []):
                if isinstance(ref, dict):
                    yield kind, (field_name, index), ref, False
        elif isinstance(value, dict):
            yield kind, (field_name,), value, False
        elif value is None:  # not in the spec: the model's default component
            default = PipelineSpec.model_fields[field_name].get_default(call_default_factory=True)
            yield kind, (field_name,), default.model_dump(by_alias=True), True


def component_report(loaded: LoadedSpec, registry: Registry) -> Report:
    report = Report()
    locations = loaded.locations
    known: dict[NodePath, ComponentInfo] = {}
    built: dict[NodePath, tuple[ComponentInfo, Any]] = {}
    for kind, path, ref, is_default in _component_refs(loaded.data):
        name = ref.get("use")
        if not isinstance(name, str):
            continue  # a shape problem, already reported
        where = locations.of((*path, "use"))
        info = registry.components[kind].get(name)
        if info is None:
            what, fix = missing_component(registry, kind, name)
            if is_default:
                what = f"the spec has no `{path[0]}:`, so the default is used: {what}"
            report.problems.append(problem(where, what, fix))
            continue
        known[path] = info
        report.components.append(ComponentUse(kind, name, info.distribution, info.source.version))
        options = ref.get("with") or {}
        if not isinstance(options, dict):
            continue
        instance = _build(info, options, (*path, "with"), locations, report.problems)
        if instance is not None:
            built[path] = (info, instance)

    for path, (info, instance) in built.items():
        if info.kind != "llm":
            for found in _check(info, instance):
                report.problems.append(problem(locations.of((*path, "use")), found))
    _check_llm(loaded, registry, built.get(("llm",)), report)
    for info, instance in built.values():
        if info.kind == "cache":  # checking may have connected; validation holds nothing open
            with contextlib.suppress(Exception):
                instance.close()
    report.problems.extend(track_problems(locations, registry, known))
    return report


def _build(info: ComponentInfo, options: dict[str, Any], path: NodePath, locations: Locations,
           problems: list[str]) -> Any:
    try:
        config = info.cls.Config.model_validate(options)
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, path, info.cls.Config, locations, subject(info)))
        return None
    try:
        return info.cls(config)
    except Exception as exc:  # a plugin bug, reported like a problem so validation goes on
        problems.append(problem(locations.of(path),
                                f"{subject(info)} failed to build: {type(exc).__name__}: {exc}",
                                f"report it to {info.distribution}"))
        return None


def _check(info: ComponentInfo, instance: Any) -> list[str]:
    try:
        return [f"{subject(info)}: {found}" for found in instance.check()]
    except Exception as exc:
        return [f"{subject(info)}: check() failed: {type(exc).__name__}: {exc}"]


def _check_llm(loaded: LoadedSpec, registry: Registry,
               primary: tuple[ComponentInfo, Any] | None, report: Report) -> None:
    """Mirror `pipeline.build_llm`: the first of the chain that can run is used."""
    locations = loaded.locations
    fallback = loaded.data.get("llm", {}).get("fallback") if isinstance(
        loaded.data.get("llm"), dict) else None
    chain: list[tuple[str, list[str]]] = []
    if primary is not None:
        chain.append((primary[0].name, _check(*primary)))
    for index, name in enumerate(fallback if isinstance(fallback, list) else []):
        where = locations.of(("llm", "fallback", index))
        if not isinstance(name, str):
            continue
        info = registry.components["llm"].get(name)
        if info is None:
            what, fix = missing_component(registry, "llm", name)
            report.problems.append(problem(where, f"llm fallback: {what}", fix))
            continue
        report.components.append(ComponentUse("llm", name, info.distribution, info.source.version,
                                              role="llm fallback"))
        instance = _build(info, {}, ("llm", "fallback", index), locations, report.problems)
        if instance is not None:
            chain.append((name, _check(info, instance)))
    if primary is None or not chain:
        return
    usable = next((name for name, found in chain if not found), None)
    where = locations.of(("llm", "use"))
    if usable is None:
        fix = None if len(chain) > 1 else (
            f"fix that, or add a fallback: `llm: {{use: {chain[0][0]}, fallback: [extractive]}}`")
        report.problems.extend(problem(where, found, fix) for _, found_list in chain
                               for found in found_list)
    elif usable != chain[0][0]:
        report.notices.append(f"llm {chain[0][0]!r} cannot run here "
                              f"({'; '.join(chain[0][1])}); {usable!r} will be used instead")


def _media_problems(loaded: LoadedSpec, built_extractors: list[ComponentInfo],
                    report: Report) -> None:
    from ..media import probe

    for path in loaded.inputs:
        where = loaded.input_origins.get(path, str(loaded.path))
        try:
            media = probe(path)
        except MediaError as exc:
            report.problems.append(problem(f"{where}: {exc.where or path}", exc.what, exc.fix))
            continue
        report.media.append(media)
        present = {"audio"} if media.has_audio else set()
        present |= {"video"} if media.has_video else set()
        for info in built_extractors:
            for need in sorted(getattr(info.cls, "media_needs", frozenset()) - present):
                report.problems.append(problem(
                    f"{where}: {path}", f"has no {need} stream, but {subject(info)} needs one",
                    f"pass a file with {need}, or remove that extractor"))


def inspect_spec(loaded: LoadedSpec, *, media: bool = False) -> Report:
    """Everything `validate` finds, plus notices and the components (with distributions) used."""
    registry = get_registry()
    report = component_report(loaded, registry)
    if media:
        extractors = [registry.components["extractor"][u.name] for u in report.components
                      if u.kind == "extractor"]
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
