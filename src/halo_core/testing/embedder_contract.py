"""The contract every embedder honours, as a test suite to subclass.

Override the `make_embedder` fixture: it returns a factory `make(**options)` building the
embedder from config options (no options: its defaults).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from ..components import Embedder

MakeEmbedder = Callable[..., Embedder[Any]]

TEXTS = [
    "The Moon's gravity pulls on the oceans and raises the tides.",
    "Tides rise and fall because the moon pulls on the ocean.",
    "Gutenberg printed books with movable metal type.",
    "Grüße aus Köln — 東京の潮汐 🌊",
]


class EmbedderContract:
    @pytest.fixture
    def make_embedder(self) -> MakeEmbedder:
        raise NotImplementedError("override the make_embedder fixture in your test class")

    @pytest.fixture
    def embedder(self, make_embedder: MakeEmbedder) -> Embedder[Any]:
        return make_embedder()

    def test_shape_dtype_and_unit_length(self, embedder: Embedder[Any]) -> None:
        vectors = embedder.embed(TEXTS)
        assert isinstance(vectors, np.ndarray)
        assert vectors.shape == (len(TEXTS), embedder.dim) and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)

    def test_no_texts(self, embedder: Embedder[Any]) -> None:
        assert embedder.embed([]).shape == (0, embedder.dim)

    def test_deterministic_and_batch_independent(self, make_embedder: MakeEmbedder) -> None:
        batch = make_embedder().embed(TEXTS)
        one_by_one = np.vstack([make_embedder().embed([t]) for t in TEXTS])
        assert np.allclose(batch, one_by_one, atol=1e-5)

    def test_related_texts_are_closer(self, embedder: Embedder[Any]) -> None:
        tides_a, tides_b, printing, _ = embedder.embed(TEXTS)
        assert float(tides_a @ tides_b) > float(tides_a @ printing)
        assert float(tides_a @ tides_a) == pytest.approx(1.0, abs=1e-4)

    def test_long_text(self, embedder: Embedder[Any]) -> None:
        vector = embedder.embed([" ".join(TEXTS[:3]) * 200])[0]
        assert np.isfinite(vector).all() and float(np.linalg.norm(vector)) == pytest.approx(
            1.0, abs=1e-4
        )
