from __future__ import annotations

import logging
from pathlib import Path

import pytest
from halo_scenedetect import SceneDetect
from halo_slides import SlidesExtractor
from slides_support import FIXTURES

from halo_core import Media, RunContext, SlideText, Timeline, probe


def scenes_timeline(media: Media, tmp: Path) -> Timeline:
    """The timeline the `slides` stage gets in a run: the real `scenes` track."""
    ctx = RunContext(stage="scenes", work_dir=tmp)
    scenes = SceneDetect.from_options({}).extract(media, Timeline(duration=media.duration), ctx)
    return Timeline(duration=media.duration).with_track("scenes", scenes)


class Read:
    """One run of the extractor on a clip: its slides and what it logged."""

    def __init__(self, media: Media, timeline: Timeline, tmp: Path) -> None:
        self.media = media
        self.timeline = timeline
        records: list[logging.LogRecord] = []
        handler = logging.Handler()
        handler.emit = records.append  # type: ignore[method-assign]
        log = logging.getLogger(f"halo.test-slides.{media.path.stem}")
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        ctx = RunContext(stage="slides", work_dir=tmp, log=log)
        self.slides: list[SlideText] = SlidesExtractor.from_options({}).extract(
            media, timeline, ctx
        )
        self.log = "\n".join(record.getMessage() for record in records)


@pytest.fixture(scope="session")
def subtle(tmp_path_factory: pytest.TempPathFactory) -> Read:
    media = probe(FIXTURES / "subtle-clip.mp4")
    tmp = tmp_path_factory.mktemp("subtle")
    return Read(media, scenes_timeline(media, tmp), tmp)


@pytest.fixture(scope="session")
def contrast(tmp_path_factory: pytest.TempPathFactory) -> Read:
    media = probe(FIXTURES / "contrast-clip.mp4")
    tmp = tmp_path_factory.mktemp("contrast")
    return Read(media, scenes_timeline(media, tmp), tmp)


@pytest.fixture(scope="session")
def tone() -> Media:
    return probe(FIXTURES / "tone.m4a")
