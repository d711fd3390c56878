"""Turning a validated spec into component instances."""

from __future__ import annotations

from dataclasses import dataclass, field

from .components import CacheBackend, Chunker, Embedder, Extractor, LLMBackend, VectorIndex
from .errors import ComponentUnavailable
from .plugins import Registry, get_registry
from .spec_model import PipelineSpec


@dataclass
class Pipeline:
    spec: PipelineSpec
    extractors: list[Extractor]
    chunker: Chunker
    embedder: Embedder
    index: VectorIndex
    cache: CacheBackend
    llm: LLMBackend
    notices: list[str]
    llm_fallbacks: list[LLMBackend] = field(default_factory=list)
    """The `llm.fallback` backends after `llm` that can run: the gateway switches to them when
    `llm` keeps failing at run time."""

    def distribution_of(self, component_kind: str, name: str) -> str:
        return get_registry().get(component_kind, name).distribution  # type: ignore[arg-type]


def build_llm(spec: PipelineSpec, registry: Registry, notices: list[str]) -> LLMBackend:
    """The spec's LLM backend, or the first fallback that can run when it cannot."""
    options = spec.llm.with_
    for position, name in enumerate([spec.llm.use, *spec.llm.fallback]):
        backend = registry.build("llm", name, options if position == 0 else {})
        problems = backend.check()
        if not problems:
            return backend
        if position < len(spec.llm.fallback):
            notices.append(f"llm {name!r} cannot run ({'; '.join(problems)}); falling back")
            continue
        raise ComponentUnavailable(
            f"llm {name!r} cannot run: {'; '.join(problems)}",
            where="spec llm",
            fix="fix the above, or add a fallback, e.g. "
            f"`llm: {{use: {spec.llm.use}, fallback: [extractive]}}`",
        )
    raise AssertionError("unreachable")


def build_llm_fallbacks(
    spec: PipelineSpec, registry: Registry, llm: LLMBackend
) -> list[LLMBackend]:
    """The fallbacks listed after `llm` in the spec's chain whose `check()` passes."""
    chain = [spec.llm.use, *spec.llm.fallback]
    later = chain[chain.index(llm.name) + 1 :] if llm.name in chain else []
    built = [registry.build("llm", name, {}) for name in later]
    return [backend for backend in built if not backend.check()]


def build_pipeline(spec: PipelineSpec, registry: Registry | None = None) -> Pipeline:
    registry = registry or get_registry()
    notices: list[str] = []
    llm = build_llm(spec, registry, notices)
    return Pipeline(
        spec=spec,
        extractors=[registry.build("extractor", r.use, r.with_) for r in spec.extractors],
        chunker=registry.build("chunker", spec.chunker.use, spec.chunker.with_),
        embedder=registry.build("embedder", spec.embedder.use, spec.embedder.with_),
        index=registry.build("vector_index", spec.index.use, spec.index.with_),
        cache=registry.build("cache", spec.cache.use, spec.cache.with_),
        llm=llm,
        notices=notices,
        llm_fallbacks=build_llm_fallbacks(spec, registry, llm),
    )
