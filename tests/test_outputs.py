"""The output contract of a run folder, validated against the models; notes.md, timeline.svg, and
secrets kept out of every file written."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import TypeAdapter
from test_resume import LECTURE, halo_test_plugin, plugin_dir, write_spec

from halo_core.model import (
    Answer,
    Boundary,
    Chunk,
    ChunkSet,
    RunReport,
    Scene,
    SlideText,
    Summaries,
    Timeline,
    TopicSegment,
    TranscriptSegment,
)
from halo_core.outputs import render_timeline_svg
from halo_core.runner import RunResult, run
from halo_core.spec import load_spec, sidecar_questions

__all__ = ["halo_test_plugin", "plugin_dir"]

SVG = "{http://www.w3.org/2000/svg}"
GOLDEN_NOTES = Path(__file__).parent / "golden" / "lecture-notes.md"
CONTRACT = (
    "timeline.json",
    "chunks.json",
    "summaries.json",
    "answers.json",  # the sample's sidecar questions
    "notes.md",
    "report.json",
    "timeline.svg",
    "run.json",
)


@pytest.fixture(scope="module")
def lecture_run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    result = run(load_spec(write_spec(tmp_path_factory.mktemp("outputs"))))[0]
    assert result.error is None, result.error
    return result


def test_the_run_folder_holds_the_contract_and_every_json_validates(lecture_run: RunResult) -> None:
    folder = lecture_run.run_dir
    assert folder.parts[-2:] == ("lecture", "lecture")  # <outputs>/<spec name>/<media stem>
    for name in CONTRACT:
        assert (folder / name).is_file(), name
    timeline = Timeline.model_validate_json((folder / "timeline.json").read_text())
    chunk_set = ChunkSet.model_validate_json((folder / "chunks.json").read_text())
    summaries = Summaries.model_validate_json((folder / "summaries.json").read_text())
    report = RunReport.model_validate_json((folder / "report.json").read_text())

    assert timeline.track("transcript")
    chunks = chunk_set.chunks
    assert chunks[0].start == 0 and chunks[-1].end == pytest.approx(timeline.duration)
    assert all(a.end == b.start for a, b in zip(chunks, chunks[1:], strict=False))
    assert [s.id for s in summaries.chunks] == [c.id for c in chunks]
    assert summaries.sections and summaries.video is not None
    assert report.chunk_count == len(chunks)
    assert report.media.sha256 == lecture_run.report.media.sha256
    # ask: the sample's own questions (samples/lecture/lecture.questions.yaml)
    stages = ["transcript", "chunk", "index", "summarize", "ask", "qa"]
    assert [s.stage for s in report.stages] == stages
    assert report.skipped == []
    assert all(s.distribution == "halo-core" for s in report.stages)
    assert report.peak_rss_mb > 0 and report.wall_s > 0
    # the stage timeline: each stage inside the run, its span its wall time, after its inputs
    spans = {s.stage: (s.started_s, s.ended_s) for s in report.stages}
    for s in report.stages:
        assert s.started_s is not None and s.ended_s is not None
        assert 0 <= s.started_s <= s.ended_s <= report.wall_s
        assert s.ended_s - s.started_s == pytest.approx(s.wall_s, abs=1e-3)
    assert spans["chunk"][0] >= spans["transcript"][1] - 1e-3
    assert sum(u.requests for u in report.llm.values()) == (
        len(summaries.chunks) + len(summaries.sections) + 1 + len(sidecar_questions(LECTURE))
    )
    assert report.naive_input_tokens > sum(u.usage.input_tokens for u in report.llm.values()) / 2
    assert "l1" in report.cache


def test_run_json_lets_a_new_process_rebuild_the_pipeline(lecture_run: RunResult) -> None:
    record = json.loads((lecture_run.run_dir / "run.json").read_text())
    assert record["spec"]["name"] == "lecture"
    assert record["spec"]["inputs"] == [str(LECTURE)]
    assert record["media"]["sha256"] == lecture_run.report.media.sha256
    assert record["components"]["chunker"]["name"] == "rules"
    assert record["components"]["llm"]["name"] == "extractive"
    assert [e["name"] for e in record["components"]["extractors"]] == ["subtitles"]
    index = json.loads((lecture_run.run_dir / "index" / "stage.json").read_text())
    assert index["ids"] == [
        c["id"] for c in json.loads((lecture_run.run_dir / "chunks.json").read_text())["chunks"]
    ]
    assert (Path(record["artifacts"]) / f"{index['key']}.json").is_file()


def test_notes_have_a_title_the_summary_timestamped_sections_and_the_chunks(
    lecture_run: RunResult,
) -> None:
    notes = (lecture_run.run_dir / "notes.md").read_text()
    summaries = Summaries.model_validate_json((lecture_run.run_dir / "summaries.json").read_text())
    assert notes.startswith("# Lecture\n")  # the file name: the sample has no title tag
    assert "## Summary" in notes and summaries.video.text in notes
    headings = re.findall(r"^### \[(\d\d:\d\d)\u2013(\d\d:\d\d)\]", notes, flags=re.MULTILINE)
    # one section holds every chunk here, so the notes follow the chunks
    parts = summaries.sections if len(summaries.sections) > 1 else summaries.chunks
    assert len(headings) == len(parts) > 1
    assert headings[0][0] == "00:00" and headings[-1][1] == "02:28"
    for part in parts:
        for point in part.key_points:
            assert f"- {point}" in notes
    chunk_lines = notes.split("## Chunks", 1)[1].strip().splitlines()
    assert len(chunk_lines) == len(summaries.chunks)


def test_notes_of_the_sample_match_the_golden_file_read_by_a_person(lecture_run: RunResult) -> None:
    notes = (lecture_run.run_dir / "notes.md").read_text()
    assert notes == GOLDEN_NOTES.read_text(), (
        f"notes.md changed: read {lecture_run.run_dir / 'notes.md'} as a reader would; if it "
        f"reads better, copy it to {GOLDEN_NOTES}"
    )
    # what a reader notices first: spacing inside words, float noise in times
    assert not re.search(r"\w \-\w|\w ,\d|\w '\w|\d\.\d{4,}", notes)


def test_the_svg_draws_each_track_the_chunks_their_boundaries_and_a_time_axis(
    lecture_run: RunResult,
) -> None:
    root = ET.fromstring((lecture_run.run_dir / "timeline.svg").read_text())
    chunk_count = lecture_run.report.chunk_count
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert "transcript" in labels and "chunks" in labels
    assert "00:00" in labels and "02:00" in labels  # the one clock format (halo_core.times)
    boundaries = [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    assert len(boundaries) == chunk_count - 1
    tooltips = [t.text for t in root.iter(f"{SVG}title") if t.text and "closed by" in t.text]
    assert len(tooltips) == chunk_count


def test_secrets_never_reach_any_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, halo_test_plugin: ModuleType
) -> None:
    secret = "sk-test-0123456789abcdef"
    monkeypatch.setenv("HALO_TEST_KEY", secret)
    spec = write_spec(tmp_path, llm='{use: scripted, with: {api_key: "${HALO_TEST_KEY}"}}')

    result = run(load_spec(spec))[0]

    assert result.error is None, result.error
    # The scripted backend echoes its key into every summary, as a careless plugin might.
    assert "***" in (result.run_dir / "summaries.json").read_text()
    written = [p for p in (tmp_path / "runs").rglob("*") if p.is_file()]
    assert len(written) > len(CONTRACT)
    for path in written:
        assert secret not in path.read_text(errors="replace"), path
    record = json.loads((result.run_dir / "run.json").read_text())
    assert record["spec"]["llm"]["with"]["api_key"] == "${HALO_TEST_KEY}"


def test_asked_questions_are_answered_into_answers_json_and_notes_and_reused(
    tmp_path: Path,
) -> None:
    question = "Where does the tidal range exceed fifteen metres?"
    spec = write_spec(tmp_path, ask=json.dumps([question]))

    first = run(load_spec(spec))[0]

    assert first.error is None, first.error
    answers = TypeAdapter(list[Answer]).validate_json((first.run_dir / "answers.json").read_text())
    assert [a.question for a in answers] == [question, *sidecar_questions(LECTURE)]
    assert "Fundy" in answers[0].answer
    assert answers[0].citations and answers[0].citations[0].start < 50.4
    notes = (first.run_dir / "notes.md").read_text()
    assert f"**{question}**" in notes.split("## Questions", 1)[1]

    second = run(load_spec(spec))[0]
    assert {s.stage: s.reused for s in second.report.stages}["ask"] is True
    assert sum(u.requests for u in second.report.llm.values()) == 0
    assert (second.run_dir / "answers.json").read_text() == (
        first.run_dir / "answers.json"
    ).read_text()


def test_svg_colours_transcript_segments_by_speaker() -> None:
    timeline = Timeline(
        duration=40,
        tracks={
            "transcript": [
                TranscriptSegment(start=0, end=9, text="Hello.", speaker="A"),
                TranscriptSegment(start=10, end=19, text="Hi.", speaker="B"),
                TranscriptSegment(start=20, end=29, text="Again.", speaker="A"),
            ],
            "slides": [SlideText(start=0, end=40, text="Title slide")],
        },
    )
    chunk = Chunk(id="c0", index=0, start=0, end=40, opened_by=Boundary(time=0),
                  closed_by=Boundary(time=40), token_estimate=3)  # fmt: skip

    root = ET.fromstring(render_timeline_svg(timeline, [chunk]))

    fills = {}
    for group in root.iter(f"{SVG}g"):
        tooltip = group.find(f"{SVG}title").text
        fills[tooltip.split("] ", 1)[1]] = group.find(f"{SVG}rect").get("fill")
    assert fills["Hello."] == fills["Again."] != fills["Hi."]
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert "slides" in labels and "Title slide" in labels


def test_svg_slides_track_shows_each_slide_heading_with_its_whole_text_as_tooltip() -> None:
    slide = SlideText(start=0, end=60, text="Printing\nMainz, around 1450", heading="Printing")
    timeline = Timeline(
        duration=60,
        tracks={
            "topics": [TopicSegment(start=0, end=60, label="press")],
            "scenes": [Scene(start=0, end=60, keyframe=30)],
            "slides": [slide],
        },
    )
    chunk = Chunk(id="c0", index=0, start=0, end=60, opened_by=Boundary(time=0),
                  closed_by=Boundary(time=60), token_estimate=3)  # fmt: skip

    root = ET.fromstring(render_timeline_svg(timeline, [chunk]))

    rows = [t.text for t in root.iter(f"{SVG}text") if t.get("x") == "6"]
    assert rows == ["scenes", "slides", "topics", "chunks"]
    tooltips = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g")]
    assert any(t.endswith("Printing\nMainz, around 1450") for t in tooltips)
    assert "Printing" in [t.text for t in root.iter(f"{SVG}text")]
