"""`slides` honours the core's extractor contract (on the contrast clip, after real scenes)."""

from __future__ import annotations

import pytest
from conftest import Read
from halo_slides import SlidesExtractor

from halo_core import Media, Timeline
from halo_core.testing.extractor_contract import ExtractorContract, MakeExtractor


class TestSlidesHonoursTheExtractorContract(ExtractorContract):
    @pytest.fixture
    def make_extractor(self) -> MakeExtractor:
        return lambda **options: SlidesExtractor.from_options(options)

    @pytest.fixture
    def media(self, contrast: Read) -> Media:
        return contrast.media

    @pytest.fixture
    def timeline(self, contrast: Read) -> Timeline:
        return contrast.timeline
