"""Vector index `faiss`: inner-product search, exact for small sets and IVF past a size threshold.

Up to `exact_threshold` vectors the index is a flat (brute-force, exact) inner-product index.
Once it grows past that, it is rebuilt as an IVF index (k-means cells, `nprobe` cells searched per
query), and retrained when it has grown `retrain_growth` times past the size it was trained at.
The flat index sits in an IndexIDMap2 and the IVF index keeps a hashtable direct map, so `remove`
and replace-by-id work on both.
String ids map to faiss's int64 ids through a table saved with the index (`save`/`load` take a
folder, as for every vector index).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field

from halo_core import (
    REBUILD_INDEX_FIX,
    ComponentConfig,
    HaloError,
    VectorIndex,
    read_with_manifest,
    write_with_manifest,
)

if TYPE_CHECKING:
    import faiss

MANIFEST = "ids.json"
FORMAT_VERSION = 1


class FaissConfig(ComponentConfig):
    exact_threshold: int = Field(
        default=20_000, ge=1, description="up to this many vectors the search is exact (flat index)"
    )
    nlist: int | None = Field(
        default=None,
        ge=1,
        description="IVF cells; default sqrt(n), at most n/39 (enough training points)",
    )
    nprobe: int = Field(
        default=64, ge=1, description="IVF cells searched per query (recall vs speed)"
    )
    retrain_growth: float = Field(
        default=4.0, gt=1, description="rebuild the IVF cells when the set grows this many times"
    )
    threads: int = Field(
        default=1,
        ge=0,
        description="OpenMP threads for faiss calls from this thread; 0: faiss's default (all "
        "cores). One query at a time runs fastest on one thread, above all on a busy machine",
    )


class FaissIndex(VectorIndex[FaissConfig]):
    name = "faiss"
    version = "1"
    Config = FaissConfig
    description = (
        "faiss inner-product index: exact (flat) for small sets, IVF past `exact_threshold`."
    )

    def __init__(self, config: FaissConfig | None = None) -> None:
        super().__init__(config)
        self._index: faiss.Index | None = None
        self._dim: int | None = None
        self._key_of: dict[str, int] = {}  # string id -> faiss int64 id
        self._id_of: dict[int, str] = {}
        self._next_key = 0
        self._trained_at = 0  # size the IVF cells were trained on; 0 while the index is exact

    @property
    def is_exact(self) -> bool:
        return self._trained_at == 0

    def __len__(self) -> int:
        return len(self._key_of)

    def add(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        vectors = self._checked(vectors, "add")
        self._limit_threads()
        if len(ids) != len(vectors):
            raise HaloError(
                f"{len(ids)} ids for {len(vectors)} vectors",
                where="vector index faiss: add",
                fix="pass one id per vector row",
            )
        if not len(ids):
            return
        self._dim = self._dim or int(vectors.shape[1])
        # A repeated id: the last row wins.
        last_row = {str(id_): row for row, id_ in enumerate(ids)}
        self.remove(list(last_row))
        keys = np.arange(self._next_key, self._next_key + len(last_row), dtype=np.int64)
        self._next_key += len(last_row)
        for key, id_ in zip(keys.tolist(), last_row):
            self._key_of[id_] = key
            self._id_of[key] = id_
        index = self._index if self._index is not None else self._flat(vectors.shape[1])
        index.add_with_ids(vectors[list(last_row.values())], keys)
        self._index = index
        self._reshape_if_needed()

    def remove(self, ids: Sequence[str]) -> None:
        keys = [self._key_of.pop(str(id_)) for id_ in ids if str(id_) in self._key_of]
        if not keys or self._index is None:
            return
        for key in keys:
            del self._id_of[key]
        self._index.remove_ids(np.array(keys, dtype=np.int64))

    def search(self, vectors: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        vectors = self._checked(vectors, "search")
        if self._index is None or k <= 0 or not len(self):
            return [[] for _ in range(len(vectors))]
        self._limit_threads()
        scores, keys = self._index.search(vectors, min(k, len(self)))
        return [
            [
                (self._id_of[key], float(score))
                for key, score in zip(row_keys.tolist(), row_scores.tolist())
                if key >= 0
            ]
            for row_keys, row_scores in zip(keys, scores)
        ]

    def save(self, path: Path) -> None:
        """Write the index into the folder `path`: `index-<sha256>.faiss`, then `ids.json`.

        Both writes are atomic and the manifest goes last, so a crash leaves the previous save
        readable; index files no manifest names are removed afterwards.
        """
        import faiss

        index = self._index if self._index is not None else self._flat(self._dim or 1)
        fields = {
            "format": FORMAT_VERSION,
            "dim": self._dim,
            "next_key": self._next_key,
            "trained_at": self._trained_at,
            "ids": self._key_of,
        }
        data = faiss.serialize_index(index).tobytes()
        write_with_manifest(Path(path), "index.faiss", data, MANIFEST, fields)

    def load(self, path: Path) -> None:
        import faiss

        folder = Path(path)
        where = f"vector index faiss: {folder}"
        manifest, data = read_with_manifest(folder, "index.faiss", MANIFEST, "vector index faiss")
        if manifest.get("format") != FORMAT_VERSION:
            raise HaloError(
                f"{MANIFEST} is format {manifest.get('format')!r}, not {FORMAT_VERSION}",
                where=where,
                fix=REBUILD_INDEX_FIX,
            )
        index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        key_of = {str(id_): int(key) for id_, key in manifest["ids"].items()}
        if index.ntotal != len(key_of):
            raise HaloError(
                f"{len(key_of)} ids but {index.ntotal} vectors", where=where, fix=REBUILD_INDEX_FIX
            )
        self._index, self._key_of = index, key_of
        self._id_of = {key: id_ for id_, key in key_of.items()}
        self._dim = manifest["dim"]
        self._next_key = int(manifest["next_key"])
        self._trained_at = int(manifest["trained_at"])
        self._set_nprobe()

    # --- internals -----------------------------------------------------------------------------

    def _checked(self, vectors: Any, operation: str) -> np.ndarray:
        array = np.ascontiguousarray(vectors, dtype=np.float32)
        if array.ndim == 1:
            array = array[None, :]
        if array.ndim != 2 or (self._dim is not None and array.shape[1] != self._dim):
            raise HaloError(
                f"vectors of shape {array.shape} do not match this index (dimension {self._dim})",
                where=f"vector index faiss: {operation}",
                fix="use the same embedder for every add and search, or start a new index",
            )
        return array

    def _limit_threads(self) -> None:
        # OpenMP's team of threads costs more than it saves on a single small query, and spinning
        # threads slow to a crawl when the cores are shared (41 ms vs 0.9 ms per query measured at
        # 3k vectors under load). The setting belongs to the calling thread, so set it per call.
        if self.config.threads:
            import faiss

            faiss.omp_set_num_threads(self.config.threads)

    def _flat(self, dim: int) -> faiss.Index:
        import faiss

        return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    def _reshape_if_needed(self) -> None:
        n = len(self)
        if self.is_exact and n <= self.config.exact_threshold:
            return
        if not self.is_exact and n < self._trained_at * self.config.retrain_growth:
            return
        assert self._index is not None
        keys = np.array(sorted(self._id_of), dtype=np.int64)
        vectors = np.vstack([self._index.reconstruct(int(key)) for key in keys]).astype(np.float32)
        self._index = self._build_ivf(keys, vectors)
        self._trained_at = n
        self._set_nprobe()

    def _build_ivf(self, keys: np.ndarray, vectors: np.ndarray) -> faiss.Index:
        import faiss

        n, dim = vectors.shape
        nlist = self.config.nlist or max(1, min(int(math.sqrt(n)), n // 39))
        ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        ivf.train(vectors)
        # A hashtable direct map lets the IVF reconstruct and remove by our own ids.
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
        ivf.add_with_ids(vectors, keys)
        return ivf

    def _set_nprobe(self) -> None:
        import faiss

        if self._index is not None and not self.is_exact:
            faiss.extract_index_ivf(self._index).nprobe = self.config.nprobe
