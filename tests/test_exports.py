"""Exports: captions (checked by the real `srt` and `webvtt-py` parsers), chapters, notes, JSON;
from `tasks.export` in a spec and from `halo export`."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
import srt
import webvtt
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from test_resume import LECTURE

from halo_core.cli import main as cli
from halo_core.exports import FILES, FORMATS, ExportInput, render_export
from halo_core.exports.captions import (
    MAX_CHARS,
    MAX_LINES,
    MAX_SECONDS,
    cues,
    render_srt,
    render_vtt,
)
from halo_core.exports.chapters import MIN_SECONDS, chapters, render_youtube
from halo_core.media import probe
from halo_core.model import (
    Boundary,
    Chunk,
    SlideText,
    Summaries,
    Summary,
    Timeline,
    TopicSegment,
    TranscriptSegment,
    Word,
)
from halo_core.runner import run
from halo_core.spec import load_spec

# --- captions ------------------------------------------------------------------------------------

word_texts = st.from_regex(r"[A-Za-z]{1,12}[,.?]?", fullmatch=True)
spoken = st.lists(
    st.tuples(word_texts, st.floats(0.05, 1.5), st.floats(0.0, 0.8), st.sampled_from(["A", "B"])),
    min_size=1,
    max_size=80,
)


def timeline_of(words: list[tuple[str, float, float, str]]) -> Timeline:
    """One transcript segment per speaker turn, with timed words."""
    segments, turn, t = [], [], 0.0
    for text, length, gap, speaker in words:
        if turn and turn[-1].speaker != speaker:
            segments.append(turn)
            turn = []
        turn.append(Word(start=t, end=t + length, text=text, speaker=speaker))
        t += length + gap
    segments.append(turn)
    transcript = [
        TranscriptSegment(
            start=w[0].start,
            end=w[-1].end,
            text=" ".join(x.text for x in w),
            words=w,
            speaker=w[0].speaker,
        )
        for w in segments
    ]
    return Timeline(duration=t + 1, tracks={"transcript": transcript})


@settings(max_examples=60, deadline=None)
@given(spoken)
def test_cues_keep_every_word_in_order_within_the_reading_limits(words: list) -> None:
    timeline = timeline_of(words)
    made = cues(timeline)
    assert " ".join(c.text for c in made).split() == [w[0] for w in words]
    for cue in made:
        one_word = len(cue.text.split()) == 1
        assert len(cue.lines) <= MAX_LINES
        assert all(len(line) <= MAX_CHARS for line in cue.lines) or one_word
        assert cue.end - cue.start <= MAX_SECONDS + 1e-9 or one_word
        # a sentence end only ever closes a cue
        assert not re.search(r"[.?!] ", cue.text)
        assert cue.end > cue.start
    assert all(a.end <= b.start + 1e-9 for a, b in zip(made, made[1:]))
    # one speaker per cue, labelled where a turn starts (when there is more than one speaker)
    several = len({w[3] for w in words}) > 1
    for previous, cue in zip([None, *made], made):
        labelled = cue.lines[0].startswith(f"{cue.speaker}: ")
        assert labelled == (several and (previous is None or previous.speaker != cue.speaker))


def test_a_sentence_longer_than_a_cue_breaks_at_a_comma() -> None:
    text = (
        "Light energy is caught by chlorophyll in the thylakoids, "
        "and water is split to free oxygen."
    )
    timeline = timeline_of([(w, 0.4, 0.05, "A") for w in text.split()])  # 7.6 s: too long
    made = cues(timeline)
    assert [c.text for c in made] == [
        "Light energy is caught by chlorophyll in the thylakoids,",
        "and water is split to free oxygen.",
    ]


def test_srt_and_vtt_parse_with_real_parsers_and_keep_times_and_speakers() -> None:
    words = [("Hello", 0.4, 0.1, "A"), ("there.", 0.4, 0.5, "A"), ("Hi,", 0.3, 0.1, "B")]
    words += [("how", 0.3, 0.1, "B"), ("are", 0.3, 0.1, "B"), ("you?", 0.3, 0.1, "B")]
    made = cues(timeline_of(words))

    parsed = list(srt.parse(render_srt(made)))
    assert [p.content for p in parsed] == ["A: Hello there.", "B: Hi, how are you?"]
    assert [p.start.total_seconds() for p in parsed] == pytest.approx([c.start for c in made])
    assert [p.end.total_seconds() for p in parsed] == pytest.approx([c.end for c in made])

    vtt = webvtt.from_buffer(io.StringIO(render_vtt(made)))
    assert [c.voice for c in vtt.captions] == ["A", "B"]
    assert [c.start for c in vtt.captions] == ["00:00:00.000", "00:00:01.400"]
    assert [c.end for c in vtt.captions] == ["00:00:00.900", "00:00:02.900"]
    assert vtt.captions[1].text == "B: Hi, how are you?"


# --- chapters ------------------------------------------------------------------------------------


def chunk(index: int, start: float, end: float) -> Chunk:
    return Chunk(
        id=f"c{index}",
        index=index,
        start=start,
        end=end,
        opened_by=Boundary(time=start),
        closed_by=Boundary(time=end),
        token_estimate=1,
    )


def test_chapters_are_the_runs_of_slides_sharing_a_heading() -> None:
    slides = [
        SlideText(start=0, end=2.5, text="Ideas", heading="Ideas That Shape the World"),
        SlideText(start=2.5, end=41.7, text="x", heading="Photosynthesis"),
        SlideText(start=41.7, end=80.2, text="y", heading="Photosynthesis"),
        SlideText(start=80.2, end=156.8, text="z", heading="Scales and Intervals"),
        SlideText(start=156.8, end=161, text="w", heading="Inflation"),  # too short
    ]
    timeline = Timeline(duration=161, tracks={"slides": slides})
    made = chapters(timeline, None, [chunk(0, 0, 161)], 161)
    assert [(c.start, c.title) for c in made] == [
        (0.0, "Photosynthesis"),
        (80.2, "Scales and Intervals"),
    ]
    assert render_youtube(made) == "00:00 Photosynthesis\n01:20 Scales and Intervals\n"


def test_without_slides_chapters_follow_sections_titled_by_topics() -> None:
    sections = [
        Summary(level="section", id="s0", start=0, end=300, text="", title="Light, energy, leaf"),
        Summary(level="section", id="s1", start=300, end=3700, text="", title="Printing, press"),
    ]
    topics = [TopicSegment(start=0, end=290, label="photosynthesis")]
    timeline = Timeline(duration=3700, tracks={"topics": topics})
    made = chapters(timeline, Summaries(media="x", sections=sections), [], 3700)
    assert render_youtube(made) == "00:00 photosynthesis\n05:00 Printing, press\n"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.5, 120), min_size=1, max_size=30), st.booleans())
def test_youtube_chapters_start_at_zero_and_are_ten_seconds_apart(
    lengths: list[float], titled: bool
) -> None:
    starts = [sum(lengths[:i]) for i in range(len(lengths))]
    duration = sum(lengths)
    slides = [
        SlideText(start=s, end=s + n, text="t", heading=f"Part {i % 4}" if titled else "")
        for i, (s, n) in enumerate(zip(starts, lengths))
    ]
    chunks = [chunk(i, s, s + n) for i, (s, n) in enumerate(zip(starts, lengths))]
    made = chapters(Timeline(duration=duration, tracks={"slides": slides}), None, chunks, duration)
    lines = render_youtube(made).splitlines()
    assert lines[0].startswith("00:00 ")
    for line in lines:
        assert re.fullmatch(r"(\d+:)?\d\d:\d\d \S.*", line), line
    if duration >= MIN_SECONDS:
        assert all(c.end - c.start >= MIN_SECONDS - 1e-9 for c in made)
    assert made[-1].end == pytest.approx(duration)
    assert all(a.end == b.start and a.title != b.title for a, b in zip(made, made[1:]))


# --- from a run ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("exports")
    spec = folder / "spec.yaml"
    spec.write_text(
        "version: 1\nname: lecture\n"
        f"inputs: [{json.dumps(str(LECTURE))}]\n"
        "extractors: [{use: subtitles}]\n"
        "embedder: {use: hashing}\nindex: {use: numpy}\ncache: {use: memory}\n"
        f"tasks: {{summarize: true, export: {json.dumps(list(FORMATS))}}}\n"
        f"outputs: {folder / 'runs'}\n"
    )
    result = run(load_spec(spec))[0]
    assert result.error is None
    return result.run_dir


def test_tasks_export_writes_every_format_into_the_run_folder(exported: Path) -> None:
    captions = list(srt.parse((exported / FILES["srt"]).read_text()))
    assert len(captions) > 10
    assert all(len(line) <= MAX_CHARS for c in captions for line in c.content.splitlines())
    vtt = webvtt.read(str(exported / FILES["vtt"]))
    assert [c.text for c in vtt.captions] == [c.content for c in captions]
    chapter_vtt = webvtt.read(str(exported / FILES["vtt-chapters"]))
    lines = (exported / FILES["chapters"]).read_text().splitlines()
    assert [c.text for c in chapter_vtt.captions] == [line.split(" ", 1)[1] for line in lines]
    assert lines[0].startswith("00:00 ")
    bundle = json.loads((exported / FILES["json"]).read_text())
    assert bundle["media"] == "lecture.mp4" and len(bundle["captions"]) == len(captions)
    assert (exported / FILES["md"]).read_text().startswith("# Lecture\n")  # from the file name


@pytest.mark.parametrize("fmt", FORMATS)
def test_halo_export_prints_or_writes_what_the_run_wrote(
    exported: Path, fmt: str, tmp_path: Path
) -> None:
    printed = CliRunner().invoke(cli, ["export", str(exported), "--format", fmt])
    assert printed.exit_code == 0, printed.output
    assert printed.stdout == (exported / FILES[fmt]).read_text()
    out = tmp_path / "out" / FILES[fmt]
    out.parent.mkdir()
    written = CliRunner().invoke(cli, ["export", str(exported), "--format", fmt, "--out", str(out)])
    assert written.exit_code == 0 and out.read_text() == printed.stdout


def test_halo_export_of_a_folder_that_is_not_a_run_says_how_to_fix_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["export", str(tmp_path), "--format", "srt"])
    assert result.exit_code == 2
    assert "not a finished run folder" in result.output and "halo run" in result.output


def test_every_format_renders_for_a_run_without_transcript_or_summaries(tmp_path: Path) -> None:
    media = probe(LECTURE)
    silent = ExportInput("deck", media, Timeline(duration=media.duration), [chunk(0, 0, 1)])
    assert list(srt.parse(render_export("srt", silent))) == []
    assert webvtt.from_buffer(io.StringIO(render_export("vtt", silent))).captions == []
    for fmt in set(FORMATS) - {"srt", "vtt"}:
        assert render_export(fmt, silent).strip(), fmt
