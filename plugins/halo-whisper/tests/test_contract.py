"""faster-whisper honours the extractor contract every HALO extractor passes."""

from __future__ import annotations

import pytest
from halo_whisper.faster import FasterWhisper

from halo_core import Media
from halo_core.testing.extractor_contract import ExtractorContract, MakeExtractor


class TestFasterWhisperHonoursTheExtractorContract(ExtractorContract):
    @pytest.fixture
    def make_extractor(self) -> MakeExtractor:
        return lambda **options: FasterWhisper.from_options({"beam_size": 1, **options})

    @pytest.fixture
    def media(self, clip: Media) -> Media:
        return clip
