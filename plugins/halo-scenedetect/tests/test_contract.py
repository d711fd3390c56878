"""scenedetect honours the extractor contract every HALO extractor passes."""

from __future__ import annotations

import pytest
from halo_scenedetect import SceneDetect

from halo_core import Media
from halo_core.testing.extractor_contract import ExtractorContract, MakeExtractor


class TestSceneDetectHonoursTheExtractorContract(ExtractorContract):
    @pytest.fixture
    def make_extractor(self) -> MakeExtractor:
        return lambda **options: SceneDetect.from_options(options)

    @pytest.fixture
    def media(self, clip: Media) -> Media:
        return clip
