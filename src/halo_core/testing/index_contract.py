"""The contract every vector index honours, as a test suite to subclass.

Override the `make_index` fixture: it returns a factory `make(**options)` building an empty
index from config options (no options: its defaults). Scores are inner products; `save` and
`load` take a folder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ..components import VectorIndex
from ..errors import HaloError

MakeIndex = Callable[..., VectorIndex[Any]]
DIM = 16


def unit_vectors(n: int, seed: int = 0, dim: int = DIM) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    normalized: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return normalized


def ids_of(n: int, prefix: str = "c") -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(n)]


class VectorIndexContract:
    @pytest.fixture
    def make_index(self) -> MakeIndex:
        raise NotImplementedError("override the make_index fixture in your test class")

    @pytest.fixture
    def index(self, make_index: MakeIndex) -> VectorIndex[Any]:
        return make_index()

    def test_empty_index_finds_nothing(self, index: VectorIndex[Any]) -> None:
        assert len(index) == 0
        assert index.search(unit_vectors(2), 3) == [[], []]

    def test_exact_inner_product_search(self, index: VectorIndex[Any]) -> None:
        vectors = unit_vectors(50)
        index.add(ids_of(50), vectors)
        assert len(index) == 50
        queries = unit_vectors(3, seed=1)
        expected = queries @ vectors.T
        for q, hits in enumerate(index.search(queries, 5)):
            best = np.argsort(-expected[q])[:5]
            assert [h[0] for h in hits] == [f"c{i:04d}" for i in best]
            assert [h[1] for h in hits] == pytest.approx(expected[q][best].tolist(), abs=1e-4)

    def test_each_vector_finds_itself(self, index: VectorIndex[Any]) -> None:
        vectors = unit_vectors(20)
        index.add(ids_of(20), vectors)
        assert [hits[0][0] for hits in index.search(vectors, 1)] == ids_of(20)

    def test_k_larger_than_the_index(self, index: VectorIndex[Any]) -> None:
        index.add(ids_of(3), unit_vectors(3))
        hits = index.search(unit_vectors(1, seed=2), 10)[0]
        assert sorted(h[0] for h in hits) == ids_of(3)
        assert [h[1] for h in hits] == sorted((h[1] for h in hits), reverse=True)

    def test_add_replaces_by_id(self, index: VectorIndex[Any]) -> None:
        vectors = unit_vectors(10)
        index.add(ids_of(10), vectors)
        index.add(["c0003"], vectors[7:8])
        assert len(index) == 10
        top = index.search(vectors[7:8], 2)[0]
        assert {h[0] for h in top} == {"c0003", "c0007"}
        assert top[0][1] == pytest.approx(top[1][1], abs=1e-4)

    def test_remove(self, index: VectorIndex[Any]) -> None:
        vectors = unit_vectors(10)
        index.add(ids_of(10), vectors)
        index.remove(["c0002", "c0005", "missing"])
        assert len(index) == 8
        found = {h[0] for h in index.search(vectors, 10)[0]}
        assert found == set(ids_of(10)) - {"c0002", "c0005"}
        assert index.search(vectors[2:3], 1)[0][0][0] != "c0002"

    def test_save_and_load(self, make_index: MakeIndex, tmp_path: Path) -> None:
        vectors = unit_vectors(30)
        first = make_index()
        first.add(ids_of(30), vectors)
        first.save(tmp_path / "index")
        again = make_index()
        again.load(tmp_path / "index")
        assert len(again) == 30
        queries = unit_vectors(4, seed=3)
        for loaded, original in zip(
            again.search(queries, 5), first.search(queries, 5), strict=True
        ):
            assert [h[0] for h in loaded] == [h[0] for h in original]
            assert [h[1] for h in loaded] == pytest.approx([h[1] for h in original], abs=1e-5)
        first.add(["extra"], unit_vectors(1, seed=9))
        first.save(tmp_path / "index")  # saving over an older save
        again.load(tmp_path / "index")
        assert len(again) == 31

    def test_load_of_a_missing_index_is_a_clear_error(
        self, index: VectorIndex[Any], tmp_path: Path
    ) -> None:
        with pytest.raises(HaloError):
            index.load(tmp_path / "nothing-here")

    def test_wrong_dimension_is_rejected(self, index: VectorIndex[Any]) -> None:
        index.add(ids_of(3), unit_vectors(3))
        with pytest.raises((ValueError, HaloError)):
            index.search(unit_vectors(1, dim=DIM + 1), 1)
