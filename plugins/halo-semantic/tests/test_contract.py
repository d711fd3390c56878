"""topics honours the extractor contract every HALO extractor passes (on the sample lecture's
transcript, the track it requires)."""

from __future__ import annotations

import pytest
from halo_semantic import Topics

from halo_core import Media, Timeline
from halo_core.testing.extractor_contract import ExtractorContract, MakeExtractor


class TestTopicsHonoursTheExtractorContract(ExtractorContract):
    @pytest.fixture
    def make_extractor(self) -> MakeExtractor:
        return lambda **options: Topics.from_options(options)

    @pytest.fixture
    def media(self, lecture: tuple[Media, Timeline]) -> Media:
        return lecture[0]

    @pytest.fixture
    def timeline(self, lecture: tuple[Media, Timeline]) -> Timeline:
        return lecture[1]
