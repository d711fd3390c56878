"""The runner end to end on the sample lecture with the built-ins (subtitles + rules + extractive):
stage reuse, --force, concurrency of independent extractors, media checks, atomic writes, and
progress output."""

from __future__ import annotations

import io
import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_resume import HALO, LECTURE, halo_test_plugin, plugin_dir, stage_reuse, write_spec

from halo_core import (
    ComponentConfig,
    Extractor,
    HaloError,
    LLMBackend,
    LLMRequest,
    LLMResponse,
    Media,
    MediaError,
    RunContext,
    SpeakerTurn,
    StageFailed,
    Timeline,
    TransientLLMError,
    hookimpl,
)
from halo_core.artifacts import ArtifactStore, atomic_write_bytes, atomic_write_json
from halo_core.graph import order
from halo_core.progress import Progress
from halo_core.runner import ARTIFACTS_DIR, run
from halo_core.spec import load_spec
from halo_core.stages import ExtractStage

__all__ = ["halo_test_plugin", "plugin_dir"]  # fixtures used here, defined in test_resume


def test_a_rerun_reuses_every_stage_and_makes_no_llm_request(tmp_path: Path) -> None:
    spec = write_spec(tmp_path)

    first = run(load_spec(spec))[0]
    assert not any(stage_reuse(first).values())
    assert sum(u.requests for u in first.report.llm.values()) > 0

    second = run(load_spec(spec))[0]
    reuse = stage_reuse(second)
    # ask: the sample's sidecar questions
    assert set(reuse) == {"transcript", "chunk", "index", "summarize", "ask", "qa"}
    assert all(reuse.values()), reuse
    assert sum(u.requests for u in second.report.llm.values()) == 0
    assert second.report.cache["l1"].hits == 0 and second.report.cache["l1"].misses == 0
    assert (first.run_dir / "summaries.json").read_text() == (
        second.run_dir / "summaries.json"
    ).read_text()


def test_force_recomputes_every_stage_and_the_llm_cache_answers(tmp_path: Path) -> None:
    spec = write_spec(tmp_path)
    first = run(load_spec(spec))[0]

    forced = run(load_spec(spec), force=True)[0]

    assert not any(stage_reuse(forced).values())
    assert sum(u.requests for u in forced.report.llm.values()) == 0
    calls = sum(u.requests for u in first.report.llm.values())
    assert forced.report.cache["l1"].hits == calls


def test_a_changed_option_recomputes_only_the_stages_downstream(tmp_path: Path) -> None:
    spec = write_spec(tmp_path)
    run(load_spec(spec))

    changed = run(load_spec(spec, overrides=["chunker.with.max_duration=60"]))[0]

    reuse = stage_reuse(changed)
    assert reuse["transcript"] is True
    assert not (reuse["chunk"] or reuse["index"] or reuse["summarize"])
    chunks = changed.report.chunk_count
    assert chunks >= 3  # 148.8 s in chunks of at most 60 s


def test_independent_extractors_run_concurrently(
    tmp_path: Path, halo_test_plugin: ModuleType
) -> None:
    # meet-a and meet-b each wait (10 s at most) for the other at a barrier: run one after the
    # other, the first would time out and fail its stage.
    spec = write_spec(tmp_path, extractors="[{use: meet-a}, {use: subtitles}, {use: meet-b}]")

    result = run(load_spec(spec))[0]

    assert {"meet_a", "meet_b", "transcript"} <= set(stage_reuse(result))


def test_max_workers_1_runs_extractors_one_at_a_time(
    tmp_path: Path, halo_test_plugin: ModuleType
) -> None:
    spec = write_spec(tmp_path, extractors="[{use: meet-a}, {use: meet-b}]")
    halo_test_plugin.MEETING = type(halo_test_plugin.MEETING)(2, timeout=0.5)
    try:
        result = run(load_spec(spec, overrides=["max_workers=1"]))[0]
    finally:
        halo_test_plugin.MEETING = type(halo_test_plugin.MEETING)(2, timeout=10)
    assert isinstance(result.error, StageFailed)
    assert "BrokenBarrierError" in result.error.message


def silent_video(folder: Path) -> Path:
    video = folder / "silent.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=black:s=64x64:d=2",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", str(video)],
        check=True,
    )  # fmt: skip
    return video


def test_a_required_extractor_needing_audio_on_a_silent_video_is_a_clear_media_error(
    tmp_path: Path, halo_test_plugin: ModuleType
) -> None:
    silent = silent_video(tmp_path)
    spec = write_spec(tmp_path, inputs=[silent],
                      extractors="[{use: needs-audio, required: true}]")

    result = run(load_spec(spec))[0]

    assert isinstance(result.error, MediaError)
    assert result.error.exit_code == 2
    message = result.error.message
    assert "'needs-audio' is `required: true`, but the file has no audio stream" in message
    assert str(silent) in message
    assert "fix: pass a file that has audio, or drop `required: true`" in message


def test_bad_input_found_by_a_component_keeps_exit_code_2_and_names_the_stage(
    tmp_path: Path,
) -> None:
    silent = silent_video(tmp_path)  # no sidecar .srt, no subtitle stream
    spec = write_spec(tmp_path, inputs=[silent])

    result = run(load_spec(spec))[0]

    assert isinstance(result.error, StageFailed)
    assert result.error.exit_code == 2
    assert "stage 'transcript' failed in extractor 'subtitles' (halo-core" in result.error.message
    assert result.error.message.count(str(silent)) == 1
    assert result.error.message.count("fix:") == 1


def test_batch_json_says_how_each_input_of_the_run_went(tmp_path: Path) -> None:
    silent = silent_video(tmp_path)  # no subtitles: its transcript stage fails
    spec = write_spec(tmp_path, inputs=[silent, LECTURE])

    results = run(load_spec(spec))

    assert [r.input for r in results] == [silent, LECTURE]  # in input order
    batch = json.loads((tmp_path / "runs" / "lecture" / "batch.json").read_text())
    failed, finished = batch["inputs"]
    assert failed["status"] == "failed" and failed["failed_stage"] == "transcript"
    assert "subtitles" in failed["error"]
    assert finished["status"] == "finished" and finished["media_s"] > 0
    assert finished["media_s_per_wall_s"] > 0
    assert batch["executor"] == {"name": "local"}
    assert batch["totals"]["inputs"] == 2 and batch["totals"]["finished"] == 1


def test_halo_run_prints_where_the_outputs_went(tmp_path: Path) -> None:
    spec = write_spec(tmp_path)
    out = tmp_path / "elsewhere"
    env = dict(os.environ, HALO_LOAD_PLUGINS="")

    done = subprocess.run(
        [str(HALO), "run", str(spec), "--out", str(out), "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert f"outputs in {out / 'lecture' / 'lecture'}" in done.stdout
    assert done.stderr == ""
    assert (out / "lecture" / "lecture" / "report.json").exists()
    assert (out / ARTIFACTS_DIR).is_dir()


# --- atomic writes ---------------------------------------------------------------------------


def test_an_interrupted_atomic_write_leaves_the_old_file_and_no_partial_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    atomic_write_json(target, {"version": "old"})

    def power_cut(fd: int) -> None:
        raise OSError("disk went away")

    monkeypatch.setattr(os, "fsync", power_cut)
    with pytest.raises(OSError, match="disk went away"):
        atomic_write_bytes(target, b'{"version": "new", "half": ')
    monkeypatch.undo()

    assert target.read_text() == '{\n  "version": "old"\n}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_atomic_writes_make_ordinary_files_that_honour_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "notes.md"
    atomic_write_bytes(target, b"# notes")
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask


def test_the_artifact_store_ignores_missing_and_unreadable_artifacts(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path, redact=lambda text: text.replace("s3cret", "***"))
    assert store.get("nope") is None
    store.path("broken").write_text('{"half": ')
    assert store.get("broken") is None
    store.put("k", {"token": "s3cret", "n": 1})
    assert store.get("k") == {"token": "***", "n": 1}


def test_old_temp_files_of_killed_writers_are_swept_but_young_ones_kept(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    old, young = tmp_path / ".a.json.x1.tmp", tmp_path / ".b.json.x2.tmp"
    for leftover in (old, young):
        leftover.write_text('{"half": ')
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))

    assert store.sweep_temp_files(older_than_s=3600) == 1
    assert not old.exists() and young.exists()


# --- progress --------------------------------------------------------------------------------


def test_plain_progress_prints_lines_with_media_time_and_at_most_every_interval() -> None:
    stream = io.StringIO()
    progress = Progress(stream, tty=False, interval=60)
    progress.start("transcript", 148.8)
    for done in range(1, 149):
        progress.update("transcript", float(done), 148.8)
    progress.finish("transcript", reused=False)

    lines = stream.getvalue().splitlines()
    assert len(lines) == 2, lines  # the first update, then nothing for 60 s, then the end
    assert lines[0].startswith("[transcript] 1% of 148.8 s")
    assert "ETA" in lines[0]
    assert lines[1].startswith("[transcript] done in")
    assert "\r" not in stream.getvalue()


def test_tty_progress_redraws_a_bar_in_place() -> None:
    stream = io.StringIO()
    progress = Progress(stream, tty=True)
    progress.start("scenes", 100.0)
    progress.update("scenes", 50.0, 100.0)
    progress.finish("scenes", reused=False)
    text = stream.getvalue()
    assert "\rscenes [##########..........] 50% of 100.0 s" in text
    assert "\r\x1b[K[scenes] done in" in text


def test_quiet_progress_prints_nothing() -> None:
    stream = io.StringIO()
    progress = Progress(stream, quiet=True)
    progress.start("x", 10.0)
    progress.update("x", 5.0, 10.0)
    progress.finish("x", reused=True)
    progress.message("hello")
    assert stream.getvalue() == ""


# --- the stage graph -------------------------------------------------------------------------


def make_extractor(provides: str, requires: tuple[str, ...]) -> Extractor:
    cls = type(f"X_{provides}", (Extractor,), {"name": f"x-{provides}", "provides": provides,
                                               "requires": requires})  # fmt: skip
    return cls()


def extraction_order(extractors: list[Extractor]) -> list[Extractor]:
    """The extractors in the stage graph's order (and its dependency checks)."""
    stages = order(ExtractStage.of_class(type(e), n) for n, e in enumerate(extractors))
    return [extractors[s.index] for s in stages]


@given(st.data())
def test_extraction_order_puts_every_provider_before_what_requires_it(data: st.DataObject) -> None:
    count = data.draw(st.integers(min_value=1, max_value=8))
    extractors = []
    for i in range(count):
        earlier = [f"t{j}" for j in range(i)]
        requires = data.draw(st.sets(st.sampled_from(earlier))) if earlier else set()
        extractors.append(make_extractor(f"t{i}", tuple(sorted(requires))))
    shuffled = data.draw(st.permutations(extractors))

    order = extraction_order(list(shuffled))

    assert sorted(e.provides for e in order) == sorted(e.provides for e in extractors)
    position = {e.provides: n for n, e in enumerate(order)}
    for extractor in order:
        assert all(position[r] < position[extractor.provides] for r in extractor.requires)


def test_extraction_order_names_a_missing_track_and_a_cycle() -> None:
    with pytest.raises(HaloError, match="'x-b' requires the 'nothing' track"):
        extraction_order([make_extractor("a", ()), make_extractor("b", ("nothing",))])
    with pytest.raises(HaloError, match="a cycle"):
        extraction_order([make_extractor("a", ("b",)), make_extractor("b", ("a",))])


class _FailingLLM(LLMBackend[ComponentConfig]):
    """Fails every call as a cloud backend does once its own retries are spent."""

    name = "always-transient"

    @property
    def model(self) -> str:
        return "always-transient-1"

    def generate(self, request: LLMRequest) -> LLMResponse:
        raise TransientLLMError("429 after the last attempt")

    def count_tokens(self, request: LLMRequest) -> int:
        return 1


class _FailingPlugin:
    @hookimpl
    def register_llm_backends(self, register: Callable[[type], None]) -> None:
        register(_FailingLLM)


def test_a_backend_failing_at_run_time_hands_the_rest_of_the_run_to_the_fallback(
    tmp_path: Path, register_plugin: Callable[..., str]
) -> None:
    register_plugin(_FailingPlugin())
    spec = write_spec(tmp_path, llm="{use: always-transient, fallback: [extractive]}")

    result = run(load_spec(spec))[0]

    assert result.error is None, result.error.message
    [(model, usage)] = result.report.llm.items()  # only the fallback answered
    assert model != "always-transient-1" and usage.requests > 0
    [taken] = result.report.llm_fallbacks_taken
    assert "'always-transient'" in taken and "'extractive'" in taken
    assert (result.run_dir / "summaries.json").is_file()


# --- speakers on the transcript ------------------------------------------------------------------

TRUTH = json.loads((Path(__file__).resolve().parents[1] / "samples/lecture/truth.json").read_text())


class _TruthSpeakers(Extractor[ComponentConfig]):
    """The sample's true speaker turns, as a diarizer would give them."""

    name = "truth-speakers"
    provides = "speakers"

    def extract(self, media: Media, timeline: Timeline, ctx: RunContext) -> list[SpeakerTurn]:
        return [SpeakerTurn(**turn) for turn in TRUTH["speaker_turns"]]


class _SpeakersPlugin:
    @hookimpl
    def register_extractors(self, register: Callable[[type], None]) -> None:
        register(_TruthSpeakers)


def test_speaker_turns_label_the_transcript_words_and_segments(
    tmp_path: Path, register_plugin: Callable[..., str]
) -> None:
    register_plugin(_SpeakersPlugin())
    spec = write_spec(tmp_path, extractors="[{use: subtitles}, {use: truth-speakers}]")

    result = run(load_spec(spec))[0]

    assert result.error is None, result.error.message
    timeline = Timeline.model_validate_json((result.run_dir / "timeline.json").read_text())
    segments = timeline.track("transcript")
    assert all(s.speaker and all(w.speaker == s.speaker for w in s.words) for s in segments)
    student = {s.text for s in segments if s.speaker == "student"}
    asked = {s["text"] for s in TRUTH["sentences"] if s["speaker"] == "student"}
    assert student == asked


class _FlakyLLM(LLMBackend[ComponentConfig]):
    """Fails while `failing` (its retries spent), then answers: the same identity either way."""

    name = "flaky"
    failing = True

    @property
    def model(self) -> str:
        return "flaky-1"

    def generate(self, request: LLMRequest) -> LLMResponse:
        if _FlakyLLM.failing:
            raise TransientLLMError("503 after the last attempt")
        return LLMResponse(text="Title: From flaky\nFlaky's own words.", model=self.model)

    def count_tokens(self, request: LLMRequest) -> int:
        return 1


class _FlakyPlugin:
    @hookimpl
    def register_llm_backends(self, register: Callable[[type], None]) -> None:
        register(_FlakyLLM)


def test_a_fallbacks_work_is_never_served_later_as_the_primarys(
    tmp_path: Path, register_plugin: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    register_plugin(_FlakyPlugin())
    fallback = "{use: extractive, with: {model: extractive-fallback}}"
    spec = write_spec(tmp_path, llm=f"{{use: flaky, fallback: [{fallback}]}}")
    monkeypatch.setattr(_FlakyLLM, "failing", True)
    first = run(load_spec(spec))[0]
    assert list(first.report.llm) == ["extractive-fallback"], "built with its own options"

    monkeypatch.setattr(_FlakyLLM, "failing", False)  # the primary works again, same identity
    second = run(load_spec(spec))[0]
    summarize = next(s for s in second.report.stages if s.stage == "summarize")
    assert not summarize.reused and list(second.report.llm) == ["flaky-1"]
    assert "From flaky" in (second.run_dir / "summaries.json").read_text()
