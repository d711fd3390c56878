"""The `hashing` embedder and the `numpy` vector index against the shared contracts, plus their
own promises (same vectors in every process; atomic, pickle-free saves)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from halo_core import HaloError
from halo_core.builtins.hashing import HashingEmbedder
from halo_core.builtins.numpy_index import NumpyIndex
from halo_core.plugins import get_registry
from halo_core.testing.embedder_contract import EmbedderContract, MakeEmbedder
from halo_core.testing.index_contract import MakeIndex, VectorIndexContract, ids_of, unit_vectors


class TestHashingEmbedder(EmbedderContract):
    @pytest.fixture
    def make_embedder(self) -> MakeEmbedder:
        return lambda **options: HashingEmbedder.from_options(options)

    def test_same_vectors_in_another_process(self, embedder: HashingEmbedder) -> None:
        code = (
            "import sys; from halo_core.builtins.hashing import HashingEmbedder; "
            "sys.stdout.write(HashingEmbedder().embed(['Tides and the Moon.'])[0].tobytes().hex())"
        )
        other = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True,
            env={"PYTHONHASHSEED": "123", "PATH": ""},
        )  # fmt: skip
        assert other.stdout == embedder.embed(["Tides and the Moon."])[0].tobytes().hex()

    def test_options(self, make_embedder: MakeEmbedder) -> None:
        assert make_embedder(dim=64).embed(["x y"]).shape == (1, 64)
        plain = make_embedder(bigrams=False, stemming=False)
        assert plain.features("The tides rose") == ["the", "tides", "rose"]
        assert make_embedder().features("The tides rose") == [
            "the", "tide", "rose", "the tide", "tide rose",
        ]  # fmt: skip

    def test_text_without_words_is_the_zero_vector(self, embedder: HashingEmbedder) -> None:
        assert not embedder.embed(["", " ... "]).any()


class TestNumpyIndex(VectorIndexContract):
    @pytest.fixture
    def make_index(self) -> MakeIndex:
        return lambda **options: NumpyIndex.from_options(options)

    def test_saved_files_are_json_and_pickle_free_npy(
        self, index: NumpyIndex, tmp_path: Path
    ) -> None:
        index.add(ids_of(4), unit_vectors(4))
        index.save(tmp_path)
        manifest = json.loads((tmp_path / "index.json").read_text())
        assert manifest["ids"] == ids_of(4) and manifest["dim"] == 16
        stored = np.load(tmp_path / manifest["vectors"], allow_pickle=False)
        assert stored.dtype == np.float32 and stored.shape == (4, 16)
        index.add(["more"], unit_vectors(1, seed=5))
        index.save(tmp_path)
        assert len(list(tmp_path.glob("vectors-*.npy"))) == 1  # the stale file is gone

    def test_a_torn_save_is_detected(self, index: NumpyIndex, tmp_path: Path) -> None:
        index.add(ids_of(4), unit_vectors(4))
        index.save(tmp_path)
        manifest = json.loads((tmp_path / "index.json").read_text())
        np.save(tmp_path / manifest["vectors"], unit_vectors(4, seed=7), allow_pickle=False)
        with pytest.raises(HaloError, match="does not match"):
            NumpyIndex().load(tmp_path)

    def test_empty_index_round_trips(self, index: NumpyIndex, tmp_path: Path) -> None:
        index.save(tmp_path)
        again = NumpyIndex()
        again.load(tmp_path)
        assert len(again) == 0 and again.search(unit_vectors(1), 3) == [[]]


def test_hashing_retrieves_the_matching_sentence() -> None:
    sentences = [
        "Tides are caused mainly by the Moon's gravity.",
        "DNA replication begins when helicase unwinds the helix.",
        "Gutenberg's press used movable metal type.",
    ]
    embedder, index = HashingEmbedder(), NumpyIndex()
    index.add(["tides", "dna", "press"], embedder.embed(sentences))
    hits = index.search(
        embedder.embed(["Which enzyme unwinds the helix?", "What causes tides?"]), 1
    )
    assert [h[0][0] for h in hits] == ["dna", "tides"]


def test_registered_as_builtins() -> None:
    registry = get_registry()
    assert registry.get("embedder", "hashing").cls is HashingEmbedder
    assert registry.get("vector_index", "numpy").cls is NumpyIndex
