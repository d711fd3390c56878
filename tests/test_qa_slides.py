"""Slides in Q&A, notes and sections: the sample lecture with its captions misheard the way the
bundled speech model mishears them ("Maine's", "a kanaki fragments"), and a `slides` track of
the truth slides (a throwaway extractor: the core's tests load no plugins)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from halo_core import Extractor, Media, RunContext, SlideText, Timeline, hookimpl
from halo_core.runner import run
from halo_core.spec import load_spec
from halo_core.testing.plugins import registered

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "lecture"
TRUTH = json.loads((SAMPLE / "truth.json").read_text())
CITY = "In which city did Gutenberg develop his printing press?"
PIECES = "What are the short DNA pieces made on the lagging strand called?"
QUESTIONS_ASKED = ["What are the main topics?", CITY, PIECES]


class TruthSlides(Extractor[Any]):
    """The sample's slides as a deck reads: the topic title largest, then heading and bullets."""

    name = "truth-slides"
    provides = "slides"

    def extract(self, media: Media, timeline: Timeline, ctx: RunContext) -> list[SlideText]:
        titles = {t["id"]: t["title"] for t in TRUTH["topics"]}
        slides = []
        for s in TRUTH["slides"]:
            title = titles.get(s["topic_id"], s["heading"])
            lines = list(dict.fromkeys([title, s["heading"], *s["bullets"]]))
            slides.append(
                SlideText(start=s["start"], end=s["end"], text="\n".join(lines), heading=title)
            )
        return slides


class Plugin:
    @hookimpl
    def register_extractors(self, register: Any) -> None:
        register(TruthSlides)


def misheard_copy(folder: Path) -> Path:
    """The sample video with captions that say what tiny.en hears."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE / "lecture.mp4", folder / "lecture.mp4")
    captions = (SAMPLE / "lecture.srt").read_text()
    for right, heard in (("Mainz", "Maine's"), ("Okazaki fragments", "a kanaki fragments")):
        assert right in captions
        captions = captions.replace(right, heard)
    (folder / "lecture.srt").write_text(captions)
    return folder / "lecture.mp4"


def run_on(folder: Path, media: Path, extractors: str) -> Path:
    folder.mkdir()
    spec = folder / "spec.yaml"
    spec.write_text(
        "version: 1\nname: lecture\n"
        f"inputs: [{json.dumps(str(media))}]\n"
        f"extractors: {extractors}\n"
        "chunker: {use: rules, with: {min_duration: 20, max_duration: 120}}\n"
        "embedder: {use: hashing}\nindex: {use: numpy}\ncache: {use: memory}\n"
        f"tasks: {{summarize: true, ask: {json.dumps(QUESTIONS_ASKED)}}}\n"
        f"outputs: {folder / 'runs'}\n"
    )
    result = run(load_spec(spec))[0]
    assert result.error is None, result.error
    return result.run_dir


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    folder = tmp_path_factory.mktemp("slides-qa")
    media = misheard_copy(folder / "media")
    with registered(Plugin()):
        yield {
            "with": run_on(folder / "with", media, "[{use: subtitles}, {use: truth-slides}]"),
            "without": run_on(folder / "without", media, "[{use: subtitles}]"),
        }


def answers(run_dir: Path) -> dict[str, dict[str, Any]]:
    return {a["question"]: a for a in json.loads((run_dir / "answers.json").read_text())}


def test_a_slide_answers_what_the_speech_was_misheard_saying(runs: dict[str, Path]) -> None:
    with_slides, without = answers(runs["with"]), answers(runs["without"])
    assert "Mainz" in with_slides[CITY]["answer"]
    assert "Mainz" not in without[CITY]["answer"]  # the speech alone cannot say it
    cited = {c["slide"] for c in with_slides[CITY]["citations"]}
    assert "Gutenberg and the Printing Press" in cited
    gutenberg = next(c for c in with_slides[CITY]["citations"] if c["slide"])
    shown = [s for s in TRUTH["slides"] if s["topic_id"] == "printing-press"]
    assert any(s["start"] == gutenberg["start"] for s in shown)  # the slide's time on screen


def test_broad_questions_get_the_list_of_sections(runs: dict[str, Path]) -> None:
    answer = answers(runs["with"])["What are the main topics?"]["answer"]
    titles = [t["title"] for t in TRUTH["topics"]]
    lines = answer.splitlines()
    assert [line.split(" [")[0] for line in lines] == [f"- {t}" for t in titles]
    assert all(line.endswith("]") for line in lines)


def test_sections_and_notes_take_the_slide_headings(runs: dict[str, Path]) -> None:
    summaries = json.loads((runs["with"] / "summaries.json").read_text())
    titles = [t["title"] for t in TRUTH["topics"]]
    assert [s["title"] for s in summaries["sections"]] == titles
    notes = (runs["with"] / "notes.md").read_text()
    for title in titles:
        assert f"] {title}\n" in notes
