"""`build`: the one place a spec's components are created and checked.

For every component the spec names (defaults included): its name is looked up in the registry,
its `with:` validated against its `Config`, the instance built and its `check()` called — once.
The LLM chain (`llm.use`, then `llm.fallback`) picks the first backend that can run; the later
ones that can run stay as run-time fallbacks. Extractors' requires/provides are checked by the
stage graph (`graph.dependency_problems`). Any problem: the list of them, each
`file:line:col: what (fix: how)`. Otherwise the `Pipeline`. `halo validate` is a dry build.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from .components import (
    CacheBackend,
    Chunker,
    Component,
    Embedder,
    Executor,
    Extractor,
    Kind,
    LLMBackend,
    VectorIndex,
)
from .gateway import LLMGateway
from .graph import dependency_problems
from .kinds import KINDS, KindInfo
from .plugins import ComponentInfo, Registry, get_registry, missing_component
from .spec.loaded import LoadedSpec
from .spec.problems import NodePath, problem, subject
from .spec.shape import pydantic_problems
from .spec_model import PipelineSpec
from .stages import ExtractStage


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
class Pipeline:
    """The spec's components, built and checked. Close it (`close`) when done."""

    spec: PipelineSpec
    extractors: list[Extractor[Any]]
    chunker: Chunker[Any]
    embedder: Embedder[Any]
    index: VectorIndex[Any]
    cache: CacheBackend[Any]
    llm: LLMBackend[Any]
    executor: Executor[Any]
    llm_fallbacks: list[LLMBackend[Any]] = field(default_factory=list)
    """The `llm.fallback` backends after `llm` that can run: the gateway switches to them when
    `llm` keeps failing at run time."""
    notices: list[str] = field(default_factory=list)
    uses: list[ComponentUse] = field(default_factory=list)
    """Every component the spec uses, with its distribution (what `halo validate` lists)."""

    def fresh_index(self) -> VectorIndex[Any]:
        """An empty vector index configured as the spec's."""
        return type(self.index)(self.index.config)

    def gateway(self) -> LLMGateway:
        """A gateway over the LLM chain and the cache, with L2 on the spec's embedder."""
        return LLMGateway(self.llm, self.cache, embedder=self.embedder,
                          index_factory=self.fresh_index, fallbacks=self.llm_fallbacks)

    def close(self) -> None:
        self.cache.close()


def build(loaded: LoadedSpec, registry: Registry | None = None) -> Pipeline | list[str]:
    """The spec's `Pipeline`, or every problem that stops it from being built or run."""
    registry = registry or get_registry()
    found = _Build(loaded, registry)
    found.components()
    found.checks()
    llm, fallbacks = found.llm_chain()
    found.tracks()
    if found.problems or llm is None:
        found.close()
        return found.problems
    one = found.built
    return Pipeline(
        spec=loaded.spec,
        extractors=[i for p, i in one.items() if p[0] == "extractors"],
        chunker=one[("chunker",)], embedder=one[("embedder",)], index=one[("index",)],
        cache=one[("cache",)], llm=llm, executor=one[("executor",)], llm_fallbacks=fallbacks,
        notices=found.notices, uses=found.uses,
    )


def component_refs(data: dict[str, Any]) -> Iterator[tuple[KindInfo, NodePath, dict[str, Any],
                                                            bool]]:
    """(kind, path, ref, is_default) for every component the spec uses, defaults included."""
    for row in KINDS:
        value = data.get(row.field)
        if row.many:
            for index, ref in enumerate(value if isinstance(value, list) else []):
                if isinstance(ref, dict):
                    yield row, (row.field, index), ref, False
        elif isinstance(value, dict):
            yield row, (row.field,), value, False
        elif value is None:  # not in the spec: the model's default component
            default = PipelineSpec.model_fields[row.field].get_default(call_default_factory=True)
            yield row, (row.field,), default.model_dump(by_alias=True), True


class _Build:
    """What one build found: instances by spec path, problems, notices, components used."""

    def __init__(self, loaded: LoadedSpec, registry: Registry) -> None:
        self.loaded, self.registry, self.locations = loaded, registry, loaded.locations
        self.problems: list[str] = []
        self.notices: list[str] = []
        self.uses: list[ComponentUse] = []
        self.infos: dict[NodePath, ComponentInfo] = {}
        self.built: dict[NodePath, Any] = {}
        self.found: dict[NodePath, list[str]] = {}  # check() results, by path

    def components(self) -> None:
        for row, path, ref, is_default in component_refs(self.loaded.data):
            name = ref.get("use")
            if isinstance(name, str):
                # say why a component the user never named is looked up
                why = (f"the spec has no `{path[0]}:`, so the default is used: "
                       if is_default else "")
                info = self._info(row.kind, name, (*path, "use"), prefix=why)
                options = ref.get("with") or {}
                if info is not None and isinstance(options, dict):
                    self._instantiate(info, options, path)
            if row.kind == "llm":
                self._fallbacks(ref)

    def _fallbacks(self, llm: dict[str, Any]) -> None:
        """Each `llm.fallback` entry, a name or `{use, with}`, built with its own options (never
        the primary's)."""
        fallback = llm.get("fallback")
        for index, entry in enumerate(fallback if isinstance(fallback, list) else []):
            path: NodePath = ("llm", "fallback", index)
            ref = {"use": entry} if isinstance(entry, str) else entry
            name, options = ref.get("use"), ref.get("with") or {}
            if isinstance(name, str) and isinstance(options, dict):
                at = path if isinstance(entry, str) else (*path, "use")
                info = self._info("llm", name, at, prefix="llm fallback: ", role="llm fallback")
                if info is not None:
                    self._instantiate(info, options, path, at=path if isinstance(entry, str)
                                      else (*path, "with"))

    def _info(self, kind: Kind, name: str, at: NodePath, *, prefix: str = "",
              role: str = "") -> ComponentInfo | None:
        info = self.registry.components[kind].get(name)
        if info is None:
            what, fix = missing_component(self.registry, kind, name)
            self.problems.append(problem(self.locations.of(at), prefix + what, fix))
            return None
        self.infos[at[:-1] if at[-1] == "use" else at] = info
        self.uses.append(ComponentUse(kind, name, info.distribution, info.source.version, role))
        return info

    def _instantiate(self, info: ComponentInfo, options: dict[str, Any], path: NodePath,
                     at: NodePath | None = None) -> None:
        at = at or (*path, "with")
        try:
            config = info.cls.Config.model_validate(options)
        except ValidationError as exc:
            self.problems.extend(pydantic_problems(exc, at, info.cls.Config, self.locations,
                                                   subject(info)))
            return
        try:
            self.built[path] = info.cls(config)
        except Exception as exc:  # a plugin bug, reported like a problem so the build goes on
            self.problems.append(problem(self.locations.of(at), f"{subject(info)} failed to "
                                         f"build: {type(exc).__name__}: {exc}",
                                         f"report it to {info.distribution}"))

    def checks(self) -> None:
        """`check()` once per built component; an LLM's problems are the chain's business."""
        for path, instance in self.built.items():
            self.found[path] = _check(self.infos[path], instance)
            if path[0] != "llm":
                where = self.locations.of((*path, "use"))
                self.problems.extend(problem(where, found) for found in self.found[path])

    def llm_chain(self) -> tuple[LLMBackend[Any] | None, list[LLMBackend[Any]]]:
        """The first backend of the chain that can run, and the later ones that can."""
        chain = [p for p in self.built if p[0] == "llm"]
        if ("llm",) not in self.built:
            return None, []
        runnable = [p for p in chain if not self.found[p]]
        where = self.locations.of(("llm", "use"))
        primary = self.infos[("llm",)].name
        if not runnable:
            fix = None if len(chain) > 1 else (
                f"fix that, or add a fallback: `llm: {{use: {primary}, fallback: [extractive]}}`")
            self.problems.extend(problem(where, found, fix) for p in chain
                                 for found in self.found[p])
            return None, []
        chosen = runnable[0]
        if chosen != ("llm",):
            raw = [found.split(": ", 1)[-1] for found in self.found[("llm",)]]
            self.notices.append(f"llm {primary!r} cannot run here ({'; '.join(raw)}); falling "
                                f"back: {self.infos[chosen].name!r} will be used instead")
        later = [self.built[p] for p in runnable[1:]]
        return self.built[chosen], later

    def tracks(self) -> None:
        """Requires/provides between the extractors, checked by the stage graph."""
        stages = [ExtractStage.of_class(info.cls, int(path[1]))
                  for path, info in self.infos.items() if path[0] == "extractors"]
        for found in dependency_problems(stages):
            assert isinstance(found.node, ExtractStage)
            where = self.locations.of(("extractors", found.node.index, "use"))
            fix = (_provider_fix(self.registry, found.missing, found.node.label)
                   if found.missing else "keep only one of them" if "both" in found.what
                   else "remove one of them")
            self.problems.append(problem(where, found.what, fix))

    def close(self) -> None:
        """A build that fails holds nothing open (checking a cache may have connected)."""
        for instance in self.built.values():
            if isinstance(instance, CacheBackend):
                with contextlib.suppress(Exception):
                    instance.close()


def _check(info: ComponentInfo, instance: Component[Any]) -> list[str]:
    try:
        return [f"{subject(info)}: {found}" for found in instance.check()]
    except Exception as exc:
        return [f"{subject(info)}: check() failed: {type(exc).__name__}: {exc}"]


def _provider_fix(registry: Registry, track: str, name: str) -> str:
    installed = sorted(n for n, e in registry.components["extractor"].items()
                       if getattr(e.cls, "provides", None) == track and n != name)
    if not installed:
        return ("no installed extractor provides it: install a plugin that does "
                "(`halo plugins` lists what is installed), or remove this extractor")
    others = f" (also provided by: {', '.join(installed[1:])})" if installed[1:] else ""
    return f"add an extractor that provides it: `- use: {installed[0]}`{others}"
