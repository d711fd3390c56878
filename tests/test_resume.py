"""Resuming: a plugin crash, a `kill -9` of a real `halo run`, a stage failure's message, the LLM
budget stop. Each keeps every finished stage, and the next run reuses them.

The failing and slow components are a throwaway plugin distribution (`halo-testplugins`) written
into a temporary folder: a module plus a `.dist-info` holding its `halo` entry point, so a real
`halo run` subprocess finds it through PYTHONPATH exactly as it finds an installed plugin. In
process, the same module is registered with the plugin manager directly.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from halo_core import StageFailed
from halo_core.runner import ARTIFACTS_DIR, run
from halo_core.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
LECTURE = ROOT / "samples" / "lecture" / "lecture.mp4"
HALO = Path(sys.executable).with_name("halo")
TEST_DISTRIBUTION = "halo-testplugins"

PLUGIN_SOURCE = '''
"""Throwaway HALO components for the core's runner tests."""
import threading
import time
from collections.abc import Callable
from pathlib import Path

from halo_core import (BudgetExceeded, ComponentConfig, Extractor, LLMBackend, LLMResponse,
                       Signal, Usage, hookimpl)


class CrashyConfig(ComponentConfig):
    fail_marker: str = ""
    fail_stem: str = ""


class Crashy(Extractor):
    """Raises while `fail_marker` exists, or for the input named `fail_stem`."""
    name = "crashy"
    provides = "crash"
    Config = CrashyConfig

    def extract(self, media, timeline, ctx):
        if self.config.fail_marker and Path(self.config.fail_marker).exists():
            raise RuntimeError("boom: the fail marker exists")
        if self.config.fail_stem and media.path.stem == self.config.fail_stem:
            raise RuntimeError(f"boom: refusing {media.path.name}")
        return [Signal(start=0, end=media.duration, label="ok")]


class SleepyConfig(ComponentConfig):
    hold: str = ""


class Sleepy(Extractor):
    """Works (slowly, reporting progress) for as long as the `hold` file exists."""
    name = "sleepy"
    provides = "slow"
    Config = SleepyConfig

    def extract(self, media, timeline, ctx):
        Path(ctx.work_dir).mkdir(parents=True, exist_ok=True)
        (Path(ctx.work_dir) / "started").write_text("yes")
        done = 0.0
        while self.config.hold and Path(self.config.hold).exists() and not ctx.cancelled.is_set():
            time.sleep(0.05)
            done = min(done + 1.0, media.duration)
            ctx.progress(done, media.duration)
        return [Signal(start=0, end=media.duration, label="slept")]


MEETING = threading.Barrier(2, timeout=10)


class MeetA(Extractor):
    """MeetA and MeetB both wait for the other: they finish only when run concurrently."""
    name = "meet-a"
    provides = "meet_a"

    def extract(self, media, timeline, ctx):
        MEETING.wait()
        return [Signal(start=0, end=1, label="a")]


class MeetB(MeetA):
    name = "meet-b"
    provides = "meet_b"


class NeedsAudio(Extractor):
    name = "needs-audio"
    provides = "audio_thing"
    media_needs = frozenset({"audio"})

    def extract(self, media, timeline, ctx):
        return []


class ScriptedConfig(ComponentConfig):
    api_key: str = ""
    max_calls: int = 0


class Scripted(LLMBackend):
    """Echoes the start of its context as a summary; records every request and the peak number
    of concurrent calls; raises BudgetExceeded past `max_calls` (0: no limit)."""
    name = "scripted"
    Config = ScriptedConfig
    max_concurrency = 3
    accepts_clips = True

    def __init__(self, config=None):
        super().__init__(config)
        self.requests = []
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()

    @property
    def model(self):
        return "scripted-1"

    def generate(self, request):
        with self.lock:
            if self.config.max_calls and len(self.requests) >= self.config.max_calls:
                raise BudgetExceeded(f"budget of {self.config.max_calls} calls reached",
                                     where="llm scripted", fix="raise llm.with.max_calls")
            self.requests.append(request)
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(0.01)
        with self.lock:
            self.active -= 1
        level = request.options.get("level", request.task)
        text = (f"Title: {level} part\\n{request.context[:120]} (key {self.config.api_key})\\n"
                f"- first point of {level}\\n- second point")
        return LLMResponse(text=text, model=self.model,
                           usage=Usage(input_tokens=self.count_tokens(request), output_tokens=20))

    def count_tokens(self, request):
        return (len(request.prompt) + len(request.context)) // 4


@hookimpl
def register_extractors(register):
    for cls in (Crashy, Sleepy, MeetA, MeetB, NeedsAudio):
        register(cls)


@hookimpl
def register_llm_backends(register):
    register(Scripted)
'''


def write_test_plugin(folder: Path) -> Path:
    """The module and a `.dist-info` with its `halo` entry point; returns the folder for
    PYTHONPATH."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "halo_testplugins.py").write_text(PLUGIN_SOURCE)
    info = folder / "halo_testplugins-0.0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {TEST_DISTRIBUTION}\nVersion: 0.0.1\n"
    )
    (info / "entry_points.txt").write_text("[halo]\ntestplugins = halo_testplugins\n")
    return folder


@pytest.fixture(scope="session")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_test_plugin(tmp_path_factory.mktemp("plugin"))


def load_test_plugin(plugin_dir: Path) -> ModuleType:
    if "halo_testplugins" in sys.modules:
        return sys.modules["halo_testplugins"]
    spec = importlib.util.spec_from_file_location(
        "halo_testplugins", plugin_dir / "halo_testplugins.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["halo_testplugins"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def halo_test_plugin(plugin_dir: Path, register_plugin: Callable[..., str]) -> ModuleType:
    """The throwaway plugin, registered in this process for one test."""
    module = load_test_plugin(plugin_dir)
    register_plugin(module, name="halo_testplugins")
    return module


def write_spec(
    folder: Path,
    *,
    extractors: str = "[{use: subtitles}]",
    llm: str = "{use: extractive}",
    ask: str = "[]",
    inputs: list[Path] | None = None,
    name: str = "lecture",
) -> Path:
    """A spec over the sample lecture, with its outputs and cache inside `folder`."""
    inputs = inputs or [LECTURE]
    spec = folder / "spec.yaml"
    spec.write_text(
        f"version: 1\nname: {name}\n"
        f"inputs: {json.dumps([str(p) for p in inputs])}\n"
        f"extractors: {extractors}\n"
        "chunker: {use: rules, with: {min_duration: 20, max_duration: 120}}\n"
        "embedder: {use: hashing}\nindex: {use: numpy}\n"
        f"cache: {{use: sqlite, with: {{path: {folder / 'cache.db'}}}}}\n"
        f"llm: {llm}\n"
        f"tasks: {{summarize: true, ask: {ask}}}\n"
        f"outputs: {folder / 'runs'}\n"
    )
    return spec


def stage_reuse(result) -> dict[str, bool]:  # noqa: ANN001 - a RunResult
    assert result.error is None, result.error.message
    return {s.stage: s.reused for s in result.report.stages}


def halo_env(plugin_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(plugin_dir), env.get("PYTHONPATH")]))
    env["HALO_LOAD_PLUGINS"] = TEST_DISTRIBUTION
    env.pop("HALO_DEBUG", None)
    return env


def test_a_plugin_crash_keeps_finished_stages_and_the_next_run_resumes(
    tmp_path: Path, halo_test_plugin: ModuleType
) -> None:
    marker = tmp_path / "fail-now"
    marker.write_text("")
    spec = write_spec(
        tmp_path,
        extractors=(f"[{{use: subtitles}}, {{use: crashy, with: {{fail_marker: '{marker}'}}}}]"),
    )

    first = run(load_spec(spec))
    assert isinstance(first[0].error, StageFailed)
    artifacts = tmp_path / "runs" / ARTIFACTS_DIR
    kept = sorted(artifacts.glob("*.json"))
    assert len(kept) == 1, "the transcript stage finished and must be kept"

    marker.unlink()
    reuse = stage_reuse(run(load_spec(spec))[0])
    assert reuse["transcript"] is True
    assert reuse["crash"] is False
    assert not any(reuse[s] for s in ("chunk", "index", "summarize"))
    assert (tmp_path / "runs" / "lecture" / "lecture" / "report.json").exists()


def test_an_edited_sidecar_is_read_again_and_an_unchanged_one_reused(tmp_path: Path) -> None:
    media = tmp_path / "talk.mp4"
    media.write_bytes(LECTURE.read_bytes())
    sidecar = tmp_path / "talk.srt"
    sidecar.write_text(LECTURE.with_suffix(".srt").read_text(encoding="utf-8"), encoding="utf-8")
    spec = write_spec(tmp_path, inputs=[media])

    def transcript() -> str:
        result = run(load_spec(spec))[0]
        assert result.error is None, result.error.message
        return json.dumps(json.loads((result.run_dir / "timeline.json").read_text())["tracks"])

    assert "ocean tides" in transcript()
    sidecar.write_text(sidecar.read_text(encoding="utf-8").replace("ocean tides", "sea tides"),
                       encoding="utf-8")
    edited = transcript()
    assert "sea tides" in edited and "ocean tides" not in edited
    assert stage_reuse(run(load_spec(spec))[0])["transcript"] is True


def interrupt_mid_run(tmp_path: Path, plugin_dir: Path, sig: signal.Signals) -> int:
    """Start `halo run` with a slow extractor, send `sig` once the transcript stage has finished
    and the slow one is working, then let the next run finish; return the first run's exit code.
    """
    hold = tmp_path / "hold"
    hold.write_text("")
    spec = write_spec(
        tmp_path, extractors=(f"[{{use: subtitles}}, {{use: sleepy, with: {{hold: '{hold}'}}}}]")
    )
    artifacts = tmp_path / "runs" / ARTIFACTS_DIR
    env = halo_env(plugin_dir)
    process = subprocess.Popen(
        [str(HALO), "run", str(spec)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            started = list(artifacts.glob("work/*/started"))
            if started and len(list(artifacts.glob("*.json"))) == 1:
                break
            assert process.poll() is None, "halo run ended before it could be interrupted"
            time.sleep(0.05)
        else:
            pytest.fail("the transcript stage never finished")
        process.send_signal(sig)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    run_dir = tmp_path / "runs" / "lecture" / "lecture"
    assert not (run_dir / "report.json").exists()
    assert len(list(artifacts.glob("*.json"))) == 1, "only the transcript stage had finished"

    hold.unlink()
    second = subprocess.run(
        [str(HALO), "run", str(spec)], env=env, capture_output=True, text=True, timeout=120
    )
    assert second.returncode == 0, second.stderr
    report = json.loads((run_dir / "report.json").read_text())
    reuse = {s["stage"]: s["reused"] for s in report["stages"]}
    assert reuse["transcript"] is True
    assert reuse["slow"] is False
    assert f"outputs in {run_dir}" in second.stdout
    return process.returncode


def test_kill_9_mid_run_then_the_next_run_resumes(tmp_path: Path, plugin_dir: Path) -> None:
    assert interrupt_mid_run(tmp_path, plugin_dir, signal.SIGKILL) == -signal.SIGKILL


def test_ctrl_c_mid_run_stores_no_partial_stage_and_the_next_run_resumes(
    tmp_path: Path, plugin_dir: Path
) -> None:
    # On Ctrl-C the slow extractor sees ctx.cancelled and returns early with part of its output:
    # that must not be stored as its finished artifact (checked inside interrupt_mid_run).
    assert interrupt_mid_run(tmp_path, plugin_dir, signal.SIGINT) == 130


def test_a_stage_failure_names_stage_component_distribution_and_input(
    tmp_path: Path, plugin_dir: Path
) -> None:
    other = tmp_path / "other.mp4"
    other.write_bytes(LECTURE.read_bytes())
    (tmp_path / "other.srt").write_text(LECTURE.with_suffix(".srt").read_text())
    spec = write_spec(
        tmp_path,
        inputs=[LECTURE, other],
        extractors=("[{use: subtitles}, {use: crashy, with: {fail_stem: lecture}}]"),
    )

    done = subprocess.run(
        [str(HALO), "run", str(spec), "-q"],
        env=halo_env(plugin_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1, done.stderr
    for part in (
        "stage 'crash'",
        "extractor 'crashy'",
        f"{TEST_DISTRIBUTION} 0.0.1",
        str(LECTURE),
        "RuntimeError: boom: refusing lecture.mp4",
    ):
        assert part in done.stderr, f"{part!r} missing from: {done.stderr}"
    assert "Traceback" not in done.stderr
    # The other input of the same run still ran to the end.
    assert (tmp_path / "runs" / "lecture" / "other" / "report.json").exists()
    assert f"outputs in {tmp_path / 'runs' / 'lecture' / 'other'}" in done.stdout


def test_the_llm_budget_stops_the_run_cleanly_keeping_finished_outputs(
    tmp_path: Path, plugin_dir: Path
) -> None:
    other = tmp_path / "other.mp4"
    other.write_bytes(LECTURE.read_bytes())
    (tmp_path / "other.srt").write_text(LECTURE.with_suffix(".srt").read_text())
    spec = write_spec(
        tmp_path, inputs=[LECTURE, other], llm="{use: scripted, with: {max_calls: 2}}"
    )

    done = subprocess.run(
        [str(HALO), "run", str(spec)],
        env=halo_env(plugin_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 3, done.stderr
    assert "budget of 2 calls reached" in done.stderr
    assert "Traceback" not in done.stderr
    run_dir = tmp_path / "runs" / "lecture" / "lecture"
    for kept in ("timeline.json", "chunks.json", "run.json"):
        assert (run_dir / kept).exists(), kept
    assert not (run_dir / "summaries.json").exists()
    assert not (tmp_path / "runs" / "lecture" / "other").exists(), "the budget stops every input"
