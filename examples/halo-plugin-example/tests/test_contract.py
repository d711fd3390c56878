"""Loudness honours the extractor contract every HALO extractor passes."""

from pathlib import Path

import pytest
from halo_plugin_example import Loudness

from halo_core import Media, probe
from halo_core.testing.extractor_contract import ExtractorContract, MakeExtractor

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "lecture"


class TestLoudnessHonoursTheExtractorContract(ExtractorContract):
    @pytest.fixture
    def make_extractor(self) -> MakeExtractor:
        return lambda **options: Loudness.from_options(options)

    @pytest.fixture
    def media(self) -> Media:
        return probe(SAMPLE / "lecture.mp4")
