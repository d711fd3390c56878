from __future__ import annotations

import pytest
from halo_rl.chunker import PPOChunker

from halo_core.testing.chunker_contract import ChunkerContract


class TestPPOChunkerContract(ChunkerContract):
    """The policy proposes; the contract (tiling, whole sentences, every word once) must hold."""

    max_examples = 25

    @pytest.fixture
    def make_chunker(self):
        return lambda **options: PPOChunker.from_options(options)
