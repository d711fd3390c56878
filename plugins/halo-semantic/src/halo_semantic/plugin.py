"""The `halo` entry point of halo-semantic: registers its embedder, extractor and vector index."""

from __future__ import annotations

from typing import Any

from halo_core import hookimpl

from .embedder import SentenceTransformersEmbedder
from .faiss_index import FaissIndex
from .topics import Topics


@hookimpl
def register_embedders(register: Any) -> None:
    register(SentenceTransformersEmbedder)


@hookimpl
def register_extractors(register: Any) -> None:
    register(Topics)


@hookimpl
def register_vector_indexes(register: Any) -> None:
    register(FaissIndex)
