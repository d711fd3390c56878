"""Titles people read: the notes' heading from the video itself, section titles from slides."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from test_summarize import MEDIA, make_chunks

from halo_core import Media, RunContext, SlideText, Timeline
from halo_core.builtins.caches import MemoryCache
from halo_core.builtins.extractive import ExtractiveLLM
from halo_core.gateway import LLMGateway
from halo_core.media import probe
from halo_core.summarize import summarize
from halo_core.titles import video_title

LECTURE = Path(__file__).parents[1] / "samples/lecture/lecture.mp4"
SLIDES = [
    SlideText(start=0.0, end=2.8, text="Ideas That Shape the World\n"),  # no heading told apart
    SlideText(start=2.8, end=40.0, text="What causes tides\nBulges", heading="What causes tides"),
    SlideText(start=70.0, end=120.0, text="DNA replication\nHelicase", heading="DNA replication"),
]


def _media(name: str, title: str | None = None) -> Media:
    return MEDIA.model_copy(update={"path": Path(f"/videos/{name}"), "title": title})


def test_the_title_card_names_the_video_before_its_title_tag_and_file_name() -> None:
    slides = Timeline(duration=120).with_track("slides", SLIDES)
    plain = Timeline(duration=120)
    assert video_title(_media("talk.mp4", "Tagged"), slides) == "Ideas That Shape the World"
    assert video_title(_media("talk.mp4", " Tagged "), plain) == "Tagged"
    assert video_title(_media("ocean_tides.mp4"), plain) == "Ocean tides"
    assert video_title(_media("Q3 review.mkv", ""), plain) == "Q3 review"


def test_sections_and_chunks_take_their_slide_headings_as_titles() -> None:
    chunks = make_chunks([40.0, 70.0, 120.0])  # topic 0 for all: one section
    timeline = Timeline(duration=120).with_track("slides", SLIDES)
    gateway = LLMGateway(ExtractiveLLM(), MemoryCache())
    summaries = summarize(chunks, timeline, MEDIA, gateway, RunContext(), context_id="slides")
    assert [s.title for s in summaries.chunks] == [
        "What causes tides",  # the slide shown longest in 0-40 s
        "topic 0",  # no slide in 40-70 s: the backend's title (the one topic label it spans)
        "DNA replication",
    ]
    titles = {"What causes tides", "topic 0", "DNA replication"}
    assert {s.title for s in summaries.sections} <= titles


def test_probe_reads_the_container_title_tag(tmp_path: Path) -> None:
    tagged = tmp_path / "tagged.mp4"
    subprocess.run(
        [shutil.which("ffmpeg") or "ffmpeg", "-v", "error", "-i", str(LECTURE), "-c", "copy",
         "-metadata", "title=Ideas That Shape the World", str(tagged)],
        check=True,
    )  # fmt: skip
    assert probe(tagged).title == "Ideas That Shape the World"
    assert probe(LECTURE).title is None
