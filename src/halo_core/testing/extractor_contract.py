"""The contract every extractor honours, as a test suite to subclass.

Override two fixtures: `make_extractor`, a factory `make(**options)` building the extractor from
config options (no options: its defaults), and `media`, a short file it can process (a few seconds
keep the suite fast: it extracts three times). An extractor that `requires` tracks also overrides
`timeline(media)` to hand it those tracks.

    from halo_core import probe
    from halo_core.testing.extractor_contract import ExtractorContract

    class TestClaps(ExtractorContract):
        @pytest.fixture
        def make_extractor(self):
            return lambda **options: ClapDetector.from_options(options)

        @pytest.fixture
        def media(self):
            return probe(Path(__file__).parent / "fixtures" / "claps.wav")
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from ..components import ComponentConfig, Extractor
from ..context import RunContext
from ..errors import MediaError
from ..model import Media, Span, Timeline
from .media import blank_video, tone

MakeExtractor = Callable[..., Extractor[Any]]
# Segment times may overshoot the probed duration by a frame or an audio window's rounding.
END_SLACK_S = 0.1


def extract(extractor: Extractor[Any], media: Media, timeline: Timeline) -> list[Any]:
    return extractor.extract(media, timeline, RunContext(stage=extractor.provides))


class ExtractorContract:
    @pytest.fixture
    def make_extractor(self) -> MakeExtractor:
        raise NotImplementedError("override the make_extractor fixture in your test class")

    @pytest.fixture
    def media(self) -> Media:
        raise NotImplementedError("override the media fixture: a short file the extractor reads")

    @pytest.fixture
    def timeline(self, media: Media) -> Timeline:
        """The timeline handed to `extract`: override it to supply the tracks you `require`."""
        return Timeline(duration=media.duration)

    def test_declares_what_it_provides_and_needs(self, make_extractor: MakeExtractor) -> None:
        extractor = make_extractor()
        assert isinstance(extractor.name, str) and extractor.name
        assert isinstance(extractor.version, str) and extractor.version
        assert isinstance(extractor.provides, str) and extractor.provides
        assert extractor.provides not in extractor.requires
        assert all(isinstance(track, str) and track for track in extractor.requires)
        assert extractor.media_needs <= {"audio", "video"}
        assert issubclass(extractor.Config, ComponentConfig)

    def test_unknown_options_are_rejected(self, make_extractor: MakeExtractor) -> None:
        with pytest.raises(ValidationError):
            make_extractor(no_such_option=1)

    def test_check_passes_where_its_tests_run(self, make_extractor: MakeExtractor) -> None:
        assert make_extractor().check() == []

    def test_identity_is_json_and_names_the_component(
        self, make_extractor: MakeExtractor
    ) -> None:
        extractor = make_extractor()
        identity = json.loads(json.dumps(extractor.identity()))
        assert identity == make_extractor().identity()
        assert (identity["name"], identity["version"]) == (extractor.name, extractor.version)

    def test_segments_lie_within_the_media_and_survive_json(
        self, make_extractor: MakeExtractor, media: Media, timeline: Timeline
    ) -> None:
        extractor = make_extractor()
        segments = extract(extractor, media, timeline)
        assert isinstance(segments, list)
        for segment in segments:
            assert isinstance(segment, Span), f"{segment!r} is not a halo_core segment type"
            assert 0 <= segment.start <= segment.end <= media.duration + END_SLACK_S, segment
        # The runner stores the track in timeline.json (times to the millisecond, `Seconds`): it
        # must read back as the same segments, which store the same again.
        stored = timeline.with_track(extractor.provides, segments).model_dump_json()
        assert Timeline.model_validate_json(stored).model_dump_json() == stored

    def test_progress_is_in_media_seconds_and_never_goes_back(
        self, make_extractor: MakeExtractor, media: Media, timeline: Timeline
    ) -> None:
        calls: list[tuple[float, float | None]] = []
        ctx = RunContext(on_progress=lambda stage, done, total: calls.append((done, total)))
        make_extractor().extract(media, timeline, ctx)
        done = [d for d, _ in calls]
        assert done == sorted(done)
        for d, total in calls:
            assert total is None or 0 <= d <= total + END_SLACK_S

    def test_deterministic(
        self, make_extractor: MakeExtractor, media: Media, timeline: Timeline
    ) -> None:
        first = extract(make_extractor(), media, timeline)
        again = extract(make_extractor(), media, timeline)
        assert [s.model_dump() for s in first] == [s.model_dump() for s in again]

    def test_media_without_a_needed_stream_is_a_media_error(
        self, make_extractor: MakeExtractor, tmp_path: Path
    ) -> None:
        extractor = make_extractor()
        lacking = {"audio": blank_video, "video": tone}
        for need in sorted(extractor.media_needs):
            media = lacking[need](tmp_path / f"no-{need}.{'mp4' if need == 'audio' else 'wav'}")
            with pytest.raises(MediaError):
                extract(extractor, media, Timeline(duration=media.duration))
