from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from halo_semantic import FaissIndex, SentenceTransformersEmbedder
from hypothesis import given, settings
from hypothesis import strategies as st

from halo_core import HaloError, get_registry
from halo_core.testing.index_contract import VectorIndexContract


def unit_rows(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def clustered(n: int, dim: int = 32, clusters: int = 40, seed: int = 0) -> np.ndarray:
    """Vectors around a few centers, like embeddings of texts about a few subjects."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(clusters, dim))
    return unit_rows(centers[rng.integers(0, clusters, n)] + 0.35 * rng.normal(size=(n, dim)))


def ids_of(hits: list[tuple[str, float]]) -> list[str]:
    return [id_ for id_, _ in hits]


class TestFaissExact(VectorIndexContract):
    @pytest.fixture
    def make_index(self) -> Any:
        return FaissIndex.from_options


class TestFaissApproximate(VectorIndexContract):
    """The same contract once the index has turned IVF (nprobe past nlist keeps it exhaustive)."""

    @pytest.fixture
    def make_index(self) -> Any:
        return lambda **options: FaissIndex.from_options(
            {"exact_threshold": 5, "nprobe": 1000, **options}
        )


def test_mismatched_dimensions_and_counts_are_clear_errors() -> None:
    index = FaissIndex()
    index.add(["a"], clustered(1, dim=8))
    with pytest.raises(HaloError, match="dimension 8"):
        index.search(clustered(1, dim=16), 1)
    with pytest.raises(HaloError, match="one id per vector"):
        index.add(["x", "y"], clustered(1, dim=8))


@pytest.mark.parametrize("exact_threshold", [100_000, 300])
def test_save_and_load_keep_the_kind_and_the_ids(tmp_path: Path, exact_threshold: int) -> None:
    vectors = clustered(1000)
    ids = [f"chunk-{i}" for i in range(1000)]
    index = FaissIndex.from_options({"exact_threshold": exact_threshold})
    index.add(ids, vectors)
    index.remove(ids[:10])
    index.save(tmp_path / "chunks")
    loaded = FaissIndex.from_options({"exact_threshold": exact_threshold})
    loaded.load(tmp_path / "chunks")
    assert len(loaded) == 990 and loaded.is_exact == index.is_exact
    assert loaded.search(vectors[:20], 5) == index.search(vectors[:20], 5)
    loaded.add(["new"], vectors[:1])  # still writable, with fresh ids after the loaded ones
    loaded.remove(["chunk-11"])
    assert ids_of(loaded.search(vectors[:1], 1)[0]) == ["new"]
    assert "chunk-11" not in {i for hits in loaded.search(vectors[:20], 20) for i in ids_of(hits)}


def test_save_leaves_only_the_current_files(tmp_path: Path) -> None:
    index = FaissIndex()
    index.add(["a"], clustered(1))
    index.save(tmp_path)
    index.add(["b"], clustered(1, seed=2))
    index.save(tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and names[0] == "ids.json" and names[1].startswith("index-")


def test_a_torn_save_is_detected(tmp_path: Path) -> None:
    index = FaissIndex()
    index.add(["a", "b"], clustered(2))
    index.save(tmp_path)
    manifest = json.loads((tmp_path / "ids.json").read_text())
    (tmp_path / manifest["index"]).write_bytes(b"half a faiss index")
    with pytest.raises(HaloError, match="does not match ids.json") as raised:
        FaissIndex().load(tmp_path)
    assert "fix:" in raised.value.message


def test_past_the_threshold_the_index_turns_approximate_with_high_recall() -> None:
    vectors = clustered(4000)
    ids = [f"v{i}" for i in range(4000)]
    exact = FaissIndex()
    exact.add(ids, vectors)
    approximate = FaissIndex.from_options({"exact_threshold": 1000})
    approximate.add(ids[:1000], vectors[:1000])
    assert approximate.is_exact
    for start in range(1000, 4000, 500):  # grows in batches, as a run adds chunks
        approximate.add(ids[start : start + 500], vectors[start : start + 500])
    assert not approximate.is_exact and len(approximate) == 4000
    queries = clustered(100, seed=7)
    truth, found = exact.search(queries, 10), approximate.search(queries, 10)
    recall = np.mean([len(set(ids_of(a)) & set(ids_of(b))) / 10 for a, b in zip(truth, found)])
    assert recall >= 0.9
    approximate.remove(ids[:2000])
    approximate.add(["v0"], vectors[1:2])
    assert len(approximate) == 2001
    assert ids_of(approximate.search(vectors[1:2], 1)[0]) == ["v0"]
    assert not {f"v{i}" for i in range(1, 2000)} & {
        i for hits in approximate.search(queries, 10) for i in ids_of(hits)
    }


def test_real_embeddings_find_the_sentence_that_answers(
    embedder: SentenceTransformersEmbedder, truth: dict[str, Any]
) -> None:
    sentences = truth["sentences"]
    index = FaissIndex()
    index.add(
        [str(i) for i in range(len(sentences))], embedder.embed([s["text"] for s in sentences])
    )
    hits = index.search(
        embedder.embed(["What causes the tides in the ocean?", "Who invented movable metal type?"]),
        3,
    )
    assert sentences[int(hits[0][0][0])]["topic_id"] == "ocean-tides"
    assert sentences[int(hits[1][0][0])]["topic_id"] == "printing-press"


operations = st.lists(
    st.tuples(
        st.sampled_from(["add", "remove"]), st.lists(st.integers(0, 30), min_size=1, max_size=6)
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(ops=operations, exact_threshold=st.sampled_from([8, 100_000]))
def test_matches_a_brute_force_reference(
    ops: list[tuple[str, list[int]]], exact_threshold: int
) -> None:
    rng = np.random.default_rng(len(ops))
    index = FaissIndex.from_options({"exact_threshold": exact_threshold, "nprobe": 1_000})
    reference: dict[str, np.ndarray] = {}
    for op, keys in ops:
        ids = [f"k{k}" for k in keys]
        if op == "add":
            vectors = unit_rows(rng.normal(size=(len(ids), 16)))
            index.add(ids, vectors)
            reference.update(zip(ids, vectors))
        else:
            index.remove(ids)
            for id_ in ids:
                reference.pop(id_, None)
    assert len(index) == len(reference)
    query = unit_rows(rng.normal(size=(1, 16)))
    expected = sorted(
        ((id_, float(v @ query[0])) for id_, v in reference.items()), key=lambda p: -p[1]
    )[:5]
    found = index.search(query, 5)[0]
    assert ids_of(found) == ids_of(expected)  # nprobe past nlist: the IVF path is exhaustive too
    assert [s for _, s in found] == pytest.approx([s for _, s in expected], abs=1e-5)


def test_registered_as_the_faiss_vector_index() -> None:
    assert get_registry().get("vector_index", "faiss").cls is FaissIndex
