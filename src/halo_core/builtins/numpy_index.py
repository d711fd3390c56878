"""Vector index `numpy`: exact inner-product search over a float32 matrix held in memory.

`save(folder)` writes the vectors as `vectors-<sha256>.npy` (loaded with allow_pickle=False)
and then `index.json` (ids, dim, the vectors file and its hash), each atomically; `index.json`
is written last, so a crash mid-save leaves the previous index readable.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..artifacts import REBUILD_INDEX_FIX, read_with_manifest, write_with_manifest
from ..components import ComponentConfig, VectorIndex
from ..errors import HaloError
from ..hookspecs import Register, hookimpl

MANIFEST = "index.json"


class NumpyIndexConfig(ComponentConfig):
    pass


class NumpyIndex(VectorIndex[NumpyIndexConfig]):
    """Exact search: every query is compared with every vector (fine up to ~10^5 vectors)."""

    name = "numpy"
    version = "1"
    Config = NumpyIndexConfig
    description = "exact inner-product search in memory (numpy); saved as .npy + JSON ids"

    def __init__(self, config: NumpyIndexConfig | None = None) -> None:
        super().__init__(config)
        self._ids: list[str] = []
        self._rows: dict[str, int] = {}
        self._vectors = np.zeros((0, 0), dtype=np.float32)

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(ids):
            raise ValueError(
                f"expected {len(ids)} vectors as an (n, dim) array, got shape {vectors.shape}"
            )
        if len(set(ids)) != len(ids):
            raise ValueError("ids must be unique within one add() call")
        if not ids:
            return
        if self._ids and vectors.shape[1] != self._vectors.shape[1]:
            raise ValueError(
                f"vectors have dim {vectors.shape[1]}, the index holds dim {self._vectors.shape[1]}"
            )
        if not self._ids:
            self._vectors = np.zeros((0, vectors.shape[1]), dtype=np.float32)
        fresh = [i for i, id_ in enumerate(ids) if id_ not in self._rows]
        for i, id_ in enumerate(ids):
            if id_ in self._rows:
                self._vectors[self._rows[id_]] = vectors[i]
        for i in fresh:
            self._rows[ids[i]] = len(self._ids)
            self._ids.append(ids[i])
        self._vectors = np.concatenate([self._vectors, vectors[fresh]])

    def remove(self, ids: Sequence[str]) -> None:
        doomed = {self._rows[i] for i in ids if i in self._rows}
        if not doomed:
            return
        keep = [r for r in range(len(self._ids)) if r not in doomed]
        self._ids = [self._ids[r] for r in keep]
        self._vectors = self._vectors[keep]
        self._rows = {id_: r for r, id_ in enumerate(self._ids)}

    def search(self, vectors: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        queries = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        if not self._ids or k <= 0:
            return [[] for _ in range(len(queries))]
        if queries.shape[1] != self._vectors.shape[1]:
            raise ValueError(
                f"queries have dim {queries.shape[1]}, the index holds dim {self._vectors.shape[1]}"
            )
        scores = queries @ self._vectors.T
        k = min(k, len(self._ids))
        results = []
        for row in scores:
            top = np.argpartition(-row, k - 1)[:k] if k < len(row) else np.arange(len(row))
            ordered = sorted(top.tolist(), key=lambda r: (-row[r], r))
            results.append([(self._ids[r], float(row[r])) for r in ordered])
        return results

    def save(self, path: Path) -> None:
        buffer = io.BytesIO()
        np.save(buffer, self._vectors, allow_pickle=False)
        fields = {"ids": self._ids, "dim": int(self._vectors.shape[1])}
        write_with_manifest(Path(path), "vectors.npy", buffer.getvalue(), MANIFEST, fields)

    def load(self, path: Path) -> None:
        folder = Path(path)
        manifest, data = read_with_manifest(folder, "vectors.npy", MANIFEST, "vector index numpy")
        vectors = np.load(io.BytesIO(data), allow_pickle=False)
        ids = [str(i) for i in manifest["ids"]]
        if vectors.shape[0] != len(ids):
            raise HaloError(
                f"{len(ids)} ids but {vectors.shape[0]} vectors",
                where=f"vector index numpy: {folder}",
                fix=REBUILD_INDEX_FIX,
            )
        self._ids, self._vectors = ids, vectors.astype(np.float32, copy=False)
        self._rows = {id_: r for r, id_ in enumerate(ids)}


@hookimpl
def register_vector_indexes(register: Register) -> None:
    register(NumpyIndex)
