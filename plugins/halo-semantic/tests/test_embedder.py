from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from halo_semantic import SentenceTransformersEmbedder
from halo_semantic.embedder import bundled_model_path, load_model

from halo_core import ComponentUnavailable, get_registry
from halo_core.testing.embedder_contract import EmbedderContract


def test_vectors_are_normalized_float32(embedder: SentenceTransformersEmbedder) -> None:
    vectors = embedder.embed(["The Moon pulls on the oceans.", "Gutenberg printed books.", ""])
    assert vectors.shape == (3, embedder.dim) == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_similar_sentences_are_closer_than_unrelated(
    embedder: SentenceTransformersEmbedder,
) -> None:
    tides, paraphrase, press, cells = embedder.embed(
        [
            "Ocean tides are caused mainly by the gravity of the Moon.",
            "The Moon's pull is the main reason the sea rises and falls.",
            "Gutenberg's printing press used movable metal type.",
            "White blood cells defend the body against infection.",
        ]
    )
    assert tides @ paraphrase > 0.6
    assert tides @ paraphrase > max(tides @ press, tides @ cells) + 0.3


def test_a_sentence_embeds_the_same_alone_or_in_a_batch(
    embedder: SentenceTransformersEmbedder,
) -> None:
    sentence = "DNA replication copies both strands of the double helix."
    alone = embedder.embed([sentence])[0]
    batch = SentenceTransformersEmbedder.from_options({"batch_size": 2}).embed(
        ["Short.", sentence, "Another, somewhat longer sentence about something else entirely."]
    )[1]
    np.testing.assert_allclose(alone, batch, atol=1e-4)


def test_no_texts_give_an_empty_matrix(embedder: SentenceTransformersEmbedder) -> None:
    assert embedder.embed([]).shape == (0, 384)


def test_the_model_loads_once_per_process(embedder: SentenceTransformersEmbedder) -> None:
    embedder.embed(["warm up"])
    assert load_model("bundled", "cpu", False) is load_model(
        str(bundled_model_path()), "cpu", False
    )
    assert load_model("bundled", "cpu", False) is SentenceTransformersEmbedder()._model


def test_bundled_model_is_found_offline() -> None:
    assert (bundled_model_path() / "modules.json").exists()
    assert SentenceTransformersEmbedder().check() == []


def test_a_local_model_folder_loads_by_path(embedder: SentenceTransformersEmbedder) -> None:
    by_path = SentenceTransformersEmbedder.from_options(
        {"model": str(bundled_model_path()), "device": "cpu"}
    )
    np.testing.assert_allclose(
        by_path.embed(["same model"]), embedder.embed(["same model"]), atol=1e-6
    )


def test_a_missing_model_folder_is_reported(tmp_path) -> None:
    missing = tmp_path / "no-such-model"
    embedder = SentenceTransformersEmbedder.from_options({"model": str(missing)})
    assert "does not exist" in embedder.check()[0]
    with pytest.raises(ComponentUnavailable, match="cannot load the embedding model") as raised:
        embedder.embed(["x"])
    assert "fix:" in raised.value.message


def test_an_uncached_hub_model_fails_fast_without_downloading() -> None:
    embedder = SentenceTransformersEmbedder.from_options({"model": "halo-tests/no-such-model-xyz"})
    assert "not in the local Hugging Face cache" in embedder.check()[0]
    with pytest.raises(ComponentUnavailable) as raised:
        embedder.embed(["x"])
    assert "allow_download" in raised.value.message


def test_unknown_options_are_rejected() -> None:
    with pytest.raises(ValueError, match="batchsize"):
        SentenceTransformersEmbedder.from_options({"batchsize": 8})


def test_registered_as_an_embedder() -> None:
    assert (
        get_registry().get("embedder", "sentence-transformers").cls is SentenceTransformersEmbedder
    )


class TestSentenceTransformersContract(EmbedderContract):
    @pytest.fixture
    def make_embedder(self) -> Any:
        return SentenceTransformersEmbedder.from_options
