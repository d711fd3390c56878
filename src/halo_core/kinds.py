"""The component kinds, in one table: everything that lists kinds derives from it (the registry,
the hooks it calls, the spec's component fields, validation and building, `halo plugins`, the
pipeline schema, error messages). A new kind is a base class in `components.py`, a documented
hook in `hookspecs.py`, a typed field in `spec_model.py`, and one row here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class KindInfo:
    kind: Kind
    base: type[Component[Any]]
    hook: str
    """the register-callback hook plugins implement (`hookspecs.py`)"""
    field: str
    """the spec field that names components of this kind"""
    plural: str
    title: str
    """CamelCase, for schema definition names (`<title>Ref`)"""
    many: bool = False
    """the spec field is a list (extractors), not one reference"""

    @property
    def label(self) -> str:
        return self.kind.replace("_", " ")


KINDS: tuple[KindInfo, ...] = (
    KindInfo("extractor", Extractor, "register_extractors", "extractors", "extractors",
             "Extractor", many=True),
    KindInfo("chunker", Chunker, "register_chunkers", "chunker", "chunkers", "Chunker"),
    KindInfo("embedder", Embedder, "register_embedders", "embedder", "embedders", "Embedder"),
    KindInfo("vector_index", VectorIndex, "register_vector_indexes", "index", "vector indexes",
             "VectorIndex"),
    KindInfo("cache", CacheBackend, "register_cache_backends", "cache", "caches",
             "Cache"),
    KindInfo("llm", LLMBackend, "register_llm_backends", "llm", "llms", "LLM"),
    KindInfo("executor", Executor, "register_executors", "executor", "executors", "Executor"),
)
KIND_NAMES: tuple[Kind, ...] = tuple(row.kind for row in KINDS)
BY_KIND: dict[Kind, KindInfo] = {row.kind: row for row in KINDS}
