"""Any media a user has, in the core (built-ins and throwaway extractors): an extractor whose
stream the input lacks is skipped with one notice (progress output, report.json, notes.md), and
so is one reading a skipped track; `required: true` makes it an error instead; questions come
from the spec, `--ask` and the input's sidecar `<media stem>.questions.yaml`."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from halo_core import (
    ComponentConfig,
    Extractor,
    MediaError,
    ModelCache,
    ModelRef,
    Signal,
    SlideText,
    hookimpl,
)
from halo_core.build import Pipeline
from halo_core.cli import main
from halo_core.model import Media, Stream
from halo_core.plugins import get_registry
from halo_core.progress import Progress
from halo_core.runner import run
from halo_core.spec import load_spec, sidecar_questions
from halo_core.spec_model import ExtractorRef, PipelineSpec
from halo_core.stages import AskStage, plan

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "lecture"


# --- throwaway extractors: one per stream, and one reading another's track -------------------


class _Marks(Extractor[ComponentConfig]):
    """One signal over the whole input, labelled by the extractor."""

    def extract(self, media: Media, timeline: Any, ctx: Any) -> list[Signal]:
        return [Signal(start=0, end=media.duration, label=self.name)]


class Hears(_Marks):
    name = "hears"
    provides = "heard"
    media_needs = frozenset({"audio"})


class Sees(_Marks):
    name = "sees"
    provides = "seen"
    media_needs = frozenset({"video"})


class ReadsSeen(_Marks):
    name = "reads-seen"
    provides = "read"
    requires = ("seen",)


class _Plugin:
    @hookimpl
    def register_extractors(self, register: Callable[[type], None]) -> None:
        for cls in (Hears, Sees, ReadsSeen):
            register(cls)


@pytest.fixture
def marks(register_plugin: Callable[..., str]) -> None:
    register_plugin(_Plugin(), name="any-media-marks")


def _ffmpeg(path: Path, *inputs: str) -> Path:
    lavfi = [arg for source in inputs for arg in ("-f", "lavfi", "-i", source)]
    subprocess.run(["ffmpeg", "-v", "error", "-y", *lavfi, "-t", "2", "-pix_fmt", "yuv420p",
                    str(path)] if any("testsrc" in s for s in inputs) else
                   ["ffmpeg", "-v", "error", "-y", *lavfi, "-t", "2", str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two-second real files: audio only, video only, both."""
    folder = tmp_path_factory.mktemp("any-media")
    return {
        "audio": _ffmpeg(folder / "tone.wav", "sine=frequency=440:sample_rate=16000"),
        "video": _ffmpeg(folder / "deck.mp4", "testsrc=size=64x48:rate=10"),
        "both": _ffmpeg(folder / "talk.mp4", "testsrc=size=64x48:rate=10",
                        "sine=frequency=440:sample_rate=16000"),
    }


def _spec(folder: Path, inputs: list[Path], extractors: str, ask: str = "[]") -> Path:
    spec = folder / "spec.yaml"
    spec.write_text(
        f"version: 1\nname: any\ninputs: {json.dumps([str(p) for p in inputs])}\n"
        f"extractors: {extractors}\n"
        "chunker: {use: rules, with: {min_duration: 0.5, max_duration: 60}}\n"
        "embedder: {use: hashing}\nindex: {use: numpy}\n"
        f"cache: {{use: sqlite, with: {{path: {folder / 'cache.db'}}}}}\n"
        "llm: {use: extractive}\n"
        f"tasks: {{summarize: true, ask: {ask}}}\n"
        f"outputs: {folder / 'runs'}\n")
    return spec


CHAIN = "[{use: hears}, {use: sees}, {use: reads-seen}]"
EXPECTED = {  # media -> (tracks extracted, extractors skipped)
    "audio": ({"heard"}, ["sees", "reads-seen"]),
    "video": ({"seen", "read"}, ["hears"]),
    "both": ({"heard", "seen", "read"}, []),
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_kind_of_media_runs_to_the_end_with_what_it_can_feed(
    kind: str, media: dict[str, Path], marks: None, tmp_path: Path
) -> None:
    shown = io.StringIO()
    result = run(load_spec(_spec(tmp_path, [media[kind]], CHAIN)),
                 progress=Progress(shown, tty=False))[0]

    assert result.error is None, result.error
    tracks, skipped = EXPECTED[kind]
    timeline = json.loads((result.run_dir / "timeline.json").read_text())
    assert set(timeline["tracks"]) == tracks
    report = json.loads((result.run_dir / "report.json").read_text())
    assert [s["extractor"] for s in report["skipped"]] == skipped
    assert {s["stage"] for s in report["stages"]} == {*tracks, "chunk", "index", "summarize",
                                                         "qa"}
    notes = (result.run_dir / "notes.md").read_text()
    output = shown.getvalue()
    for name in skipped:  # one notice each, in the progress output and near the top of notes.md
        assert output.count(f"skipped extractor {name!r}") == 1, output
        assert f"skipped extractor {name!r}" in notes.split("## ", 1)[0]
    if not skipped:
        assert "skipped" not in output and "> Note" not in notes


def test_a_skipped_track_skips_its_readers_naming_the_cause(
    media: dict[str, Path], marks: None, tmp_path: Path
) -> None:
    result = run(load_spec(_spec(tmp_path, [media["audio"]], CHAIN)))[0]

    assert result.report is not None
    sees, reads = result.report.skipped
    assert (sees.extractor, sees.track, sees.missing) == ("sees", "seen", "video stream")
    assert sees.reason == "the file has no video stream"
    assert (reads.extractor, reads.track, reads.missing) == ("reads-seen", "read", "seen track")
    assert reads.reason == ("it reads the 'seen' track, which was skipped (the file has no "
                            "video stream)")
    note = ("> Note: skipped extractor 'sees' (seen): the file has no video stream; skipped "
            "extractor 'reads-seen' (read): it reads the 'seen' track, which was skipped (the "
            "file has no video stream).")
    assert (result.run_dir / "notes.md").read_text().splitlines()[4] == note
    # the Markdown export says it too: `halo export --format md`, and `tasks.export: [md]`
    exported = CliRunner().invoke(main, ["export", str(result.run_dir), "--format", "md"])
    assert exported.exit_code == 0 and exported.stdout.splitlines()[4] == note
    spec = _spec(tmp_path, [media["audio"]], CHAIN)
    [again] = run(load_spec(spec, overrides=["tasks.export=[md]"]))
    assert (again.run_dir / "notes.md").read_text().splitlines()[4] == note


@pytest.mark.parametrize("required", ["sees", "reads-seen"])
def test_required_true_keeps_the_error_with_what_where_and_fix(
    required: str, media: dict[str, Path], marks: None, tmp_path: Path
) -> None:
    chain = CHAIN.replace(f"{{use: {required}}}", f"{{use: {required}, required: true}}")

    result = run(load_spec(_spec(tmp_path, [media["audio"]], chain)))[0]

    assert isinstance(result.error, MediaError) and result.error.exit_code == 2
    assert result.error.what.startswith(f"extractor {required!r} is `required: true`, but ")
    assert "no video stream" in result.error.what
    assert result.error.where == str(media["audio"])
    assert result.error.fix == ("pass a file that has video, or drop `required: true` to skip "
                                "that extractor on such files")
    assert not (tmp_path / "runs" / "any" / "tone" / "report.json").exists()


def test_validate_reports_skips_as_notices_and_a_required_one_as_a_problem(
    media: dict[str, Path], marks: None, tmp_path: Path
) -> None:
    spec = _spec(tmp_path, [media["audio"]], CHAIN)
    fine = CliRunner().invoke(main, ["validate", str(spec)])
    assert fine.exit_code == 0, fine.output
    assert "note: tone.wav: skipped extractor 'sees' (seen): the file has no video" in fine.output
    assert "note: tone.wav: skipped extractor 'reads-seen' (read)" in fine.output

    spec.write_text(spec.read_text().replace("{use: sees}", "{use: sees, required: true}"))
    failed = CliRunner().invoke(main, ["validate", str(spec)])
    assert failed.exit_code == 2
    where = f"{spec}:3:10: {media['audio']}"  # the input's line in the spec, then the file
    assert f"{where}: extractor 'sees' is `required: true`" in failed.stderr, failed.stderr


class ReadsSlides(Extractor[ComponentConfig]):
    """Two slides, one per half of the input, as a deck without a voice shows them."""

    name = "reads-slides"
    provides = "slides"
    media_needs = frozenset({"video"})

    def extract(self, media: Media, timeline: Any, ctx: Any) -> list[SlideText]:
        half = media.duration / 2
        return [SlideText(start=0, end=half, heading="Ocean tides",
                          text="Ocean tides\nSpring tides: new and full moon\nNeap tides: quarter "
                               "moons"),
                SlideText(start=half, end=media.duration, heading="Local effects",
                          text="Local effects\nBay of Fundy: over 15 m range\nCoastline shape and "
                               "sea depth")]


def test_a_silent_deck_is_summarised_and_answered_from_its_slides(
    media: dict[str, Path], register_plugin: Callable[..., str], tmp_path: Path
) -> None:
    class Plugin:
        @hookimpl
        def register_extractors(self, register: Callable[[type], None]) -> None:
            register(ReadsSlides)

    register_plugin(Plugin())
    spec = _spec(tmp_path, [media["video"]], "[{use: reads-slides}]",
                 ask='["How large is the tidal range in the Bay of Fundy?"]')

    [result] = run(load_spec(spec))

    assert result.error is None, result.error
    assert set(result.data.timeline.tracks) == {"slides"}  # no speech
    [answer] = result.data.answers
    assert "Bay of Fundy: over 15 m range" in answer.answer, answer
    assert answer.citations[0].start == pytest.approx(1.0)  # the second slide
    assert "Spring tides: new and full moon" in result.data.notes


def test_a_model_of_an_extractor_some_inputs_cannot_feed_loads_once_and_is_released(
    media: dict[str, Path], register_plugin: Callable[..., str], tmp_path: Path
) -> None:
    cache: ModelCache[str, str] = ModelCache()
    vision = ModelRef(cache, "vision", lambda: "a vision model")

    class Looks(_Marks):
        name = "looks"
        provides = "looked"
        media_needs = frozenset({"video"})

        def models(self) -> list[ModelRef[Any, Any]]:
            return [vision]

        def extract(self, media: Media, timeline: Any, ctx: Any) -> list[Signal]:
            vision.load()
            return super().extract(media, timeline, ctx)

    class Plugin:
        @hookimpl
        def register_extractors(self, register: Callable[[type], None]) -> None:
            register(Looks)

    register_plugin(Plugin())
    second = shutil.copy(media["audio"], tmp_path / "tone-again.wav")
    inputs = [media["audio"], media["both"], Path(second)]  # only the middle one has video

    results = run(load_spec(_spec(tmp_path, inputs, "[{use: looks}]")))

    assert [r.error for r in results] == [None, None, None]
    assert [[k.extractor for k in r.report.skipped] for r in results] == [["looks"], [],
                                                                           ["looks"]]
    assert (cache.loads, cache.releases) == (1, 1)  # kept for the video, then let go


# --- the property: what runs is what the input can feed, transitively -------------------------

STREAMS = ("audio", "video")


@st.composite
def extractor_graphs(draw: st.DrawFn) -> list[tuple[frozenset[str], tuple[str, ...]]]:
    """Extractors t0, t1, …: each needs a subset of the streams and reads earlier tracks."""
    count = draw(st.integers(1, 6))
    found = []
    for n in range(count):
        needs = draw(st.frozensets(st.sampled_from(STREAMS), max_size=1))
        earlier = [f"t{i}" for i in range(n)]
        reads = draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True)) if n else []
        found.append((needs, tuple(reads)))
    return found


def _pipeline(graph: list[tuple[frozenset[str], tuple[str, ...]]]) -> Pipeline:
    classes = [type(f"X{n}", (_Marks,), {"name": f"x{n}", "provides": f"t{n}",
                                         "media_needs": needs, "requires": reads})
               for n, (needs, reads) in enumerate(graph)]
    known = get_registry().components

    def default(kind: str, name: str) -> Any:
        return known[kind][name].cls()

    return Pipeline(
        spec=PipelineSpec(name="p", extractors=[ExtractorRef(use=c.name) for c in classes],
                          tasks={"ask": ["What is covered?"]}),
        extractors=[c() for c in classes], chunker=default("chunker", "rules"),
        embedder=default("embedder", "hashing"), index=default("vector_index", "numpy"),
        cache=default("cache", "memory"), llm=default("llm", "extractive"),
        executor=default("executor", "local"))


@settings(max_examples=150, deadline=None)
@given(graph=extractor_graphs(),
       present=st.frozensets(st.sampled_from(STREAMS), min_size=1))
def test_the_planned_extractors_are_exactly_those_whose_needs_are_met_transitively(
    graph: list[tuple[frozenset[str], tuple[str, ...]]], present: frozenset[str]
) -> None:
    streams = [Stream(index=i, kind=kind) for i, kind in enumerate(sorted(present))]
    media = Media(path=Path("in.mkv"), sha256="0" * 64, size_bytes=1, duration=9,
                  streams=streams)
    runs: set[str] = set()
    for n, (needs, reads) in enumerate(graph):  # in order: tracks read are earlier ones
        if needs <= present and all(r in runs for r in reads):
            runs.add(f"t{n}")

    planned = plan(_pipeline(graph), media)

    extracted = [s.name for s in planned.stages if s.kind == "extractor"]
    assert set(extracted) == runs
    assert sorted(k.track for k in planned.skipped) == sorted(set(f"t{n}" for n in
                                                              range(len(graph))) - runs)
    done: set[str] = set()
    for stage in planned.stages:  # every stage reads only what planned stages made before it
        assert set(stage.inputs) <= done, stage
        done.add(stage.name)
    assert next(s for s in planned.stages if s.name == "chunk").inputs == tuple(extracted)
    assert planned.questions == ("What is covered?",)


# --- questions for one input -----------------------------------------------------------------


def _lecture_copy(folder: Path, stem: str, questions: str | None) -> Path:
    """The sample lecture (with its subtitles) as `<stem>.mp4`, with its own sidecar."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE / "lecture.mp4", folder / f"{stem}.mp4")
    shutil.copy(SAMPLE / "lecture.srt", folder / f"{stem}.srt")
    if questions is not None:
        (folder / f"{stem}.questions.yaml").write_text(questions)
    return folder / f"{stem}.mp4"


def test_each_input_is_asked_its_own_questions_and_answers_are_never_shared(
    tmp_path: Path,
) -> None:
    tides = _lecture_copy(tmp_path / "media", "tides", "- Where does the tidal range exceed "
                                                       "fifteen metres?\n")
    press = _lecture_copy(tmp_path / "media", "press", "- In which city did Gutenberg develop "
                                                       "his printing press?\n")
    spec = _spec(tmp_path, [tides, press], "[{use: subtitles}]", ask='["What is covered?"]')

    first, second = run(load_spec(spec))

    def asked(result: Any) -> list[str]:
        return [a["question"] for a in json.loads((result.run_dir / "answers.json").read_text())]

    assert asked(first) == ["What is covered?", "Where does the tidal range exceed fifteen "
                                                "metres?"]
    assert asked(second) == ["What is covered?", "In which city did Gutenberg develop his "
                                                 "printing press?"]
    for result in (first, second):  # run.json says what it asks (halo serve shows the stage)
        assert json.loads((result.run_dir / "run.json").read_text())["questions"] == asked(result)
    assert "Fundy" in (first.run_dir / "answers.json").read_text()
    assert "Mainz" in (second.run_dir / "answers.json").read_text()
    reused = {s.stage: s.reused for s in second.report.stages}
    assert reused["chunk"] and not reused["ask"]  # same bytes, other questions: its own answers


def test_ask_adds_questions_for_this_run_in_the_cli_and_the_python_api(tmp_path: Path) -> None:
    talk = _lecture_copy(tmp_path / "media", "talk", None)
    spec = _spec(tmp_path, [talk], "[{use: subtitles}]")
    question = "Which enzyme unwinds the DNA double helix?"

    done = CliRunner().invoke(main, ["-q", "run", str(spec), "--ask", question,
                                     "--ask", "Who made the first movable type?"])

    assert done.exit_code == 0, done.output
    folder = tmp_path / "runs" / "any" / "talk"
    answers = json.loads((folder / "answers.json").read_text())
    assert [a["question"] for a in answers] == [question, "Who made the first movable type?"]
    assert "helicase" in answers[0]["answer"]
    assert f"**{question}**" in (folder / "notes.md").read_text()
    import halo_core

    [again] = halo_core.run(spec, ask=[question])
    assert [a.question for a in again.data.answers] == [question]


def test_the_samples_sidecar_holds_its_own_questions() -> None:
    assert sidecar_questions(SAMPLE / "lecture.mp4") == [
        "Which enzyme unwinds the DNA double helix?",
        "In which city did Gutenberg develop his printing press?"]


@pytest.mark.parametrize(("text", "where", "what"), [
    ("- fine\n- [not, text]\n", ":2:3", "question 2 is not a question (text)"),
    ("questions:\n  - one\n", ":1:1", "expected a list of questions, found a dict"),
    ("- one\n  - two: [\n", ":2", "malformed YAML"),
    ("- ''\n", ":1:3", "question 1 is not a question"),
])
def test_a_bad_sidecar_says_file_line_column_and_the_fix(
    text: str, where: str, what: str, tmp_path: Path
) -> None:
    talk = tmp_path / "talk.mp4"
    sidecar = tmp_path / "talk.questions.yaml"
    sidecar.write_text(text)

    with pytest.raises(MediaError) as raised:
        sidecar_questions(talk)

    assert f"{sidecar}{where}" in raised.value.message
    assert what in raised.value.message and "fix:" in raised.value.message


def test_a_bad_sidecar_stops_that_input_and_validate_names_it(
    media: dict[str, Path], tmp_path: Path
) -> None:
    talk = shutil.copy(media["both"], tmp_path / "talk.mp4")
    (tmp_path / "talk.questions.yaml").write_text("- [1, 2]\n")
    spec = _spec(tmp_path, [Path(talk)], "[]")

    [result] = run(load_spec(spec))
    checked = CliRunner().invoke(main, ["validate", str(spec)])

    assert isinstance(result.error, MediaError)
    assert f"{tmp_path / 'talk.questions.yaml'}:1:3" in result.error.message
    assert checked.exit_code == 2 and "talk.questions.yaml:1:3: question 1" in checked.stderr


def test_the_ask_stage_is_planned_only_when_there_are_questions(tmp_path: Path) -> None:
    media = Media(path=tmp_path / "a.wav", sha256="0" * 64, size_bytes=1, duration=9,
                  streams=[Stream(index=0, kind="audio")])
    pipeline = _pipeline([])
    pipeline.spec.tasks.ask = []
    assert not any(isinstance(s, AskStage) for s in plan(pipeline, media).stages)
    asked = plan(pipeline, media, ["Why?", "Why?"])
    assert asked.questions == ("Why?",)
    assert "answers.json" in {o.name for o in asked.outputs}
