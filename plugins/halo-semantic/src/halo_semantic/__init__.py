"""HALO semantic components: embedder `sentence-transformers`, extractor `topics`,
vector index `faiss`."""

from .embedder import SentenceTransformersEmbedder
from .faiss_index import FaissIndex
from .topics import Topics

__all__ = ["FaissIndex", "SentenceTransformersEmbedder", "Topics"]
