"""One stage graph: one build (`halo validate` builds and checks each component once), stages an
executor registered through `register_executors` may run elsewhere (as pickled `StageCall`s),
run.json saying when a run is incomplete, and the Python API of docs/python-api.md."""

from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner
from test_resume import halo_test_plugin, plugin_dir, write_spec
from test_runner import _FailingPlugin

from halo_core import (
    ComponentConfig,
    Executor,
    Job,
    StageFailed,
    hookimpl,
    load_run,
)
from halo_core.cli import main
from halo_core.plugins import get_registry
from halo_core.runner import run
from halo_core.spec import load_spec
from halo_core.testing.executor_contract import ExecutorContract

__all__ = ["halo_test_plugin", "plugin_dir"]  # fixtures used here, defined in test_resume

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS = ("timeline.json", "chunks.json", "summaries.json", "answers.json", "notes.md",
           "timeline.svg")


# --- one build ----------------------------------------------------------------------------------


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Every component class's instances and check() calls, by class name."""
    calls: dict[str, list[str]] = {}
    for kind in get_registry().components.values():
        for info in kind.values():
            cls, original_init, original_check = info.cls, info.cls.__init__, info.cls.check

            def init(self: Any, config: Any = None, _init: Any = original_init,
                     _name: str = cls.__name__) -> None:
                calls.setdefault(_name, []).append("built")
                _init(self, config)

            def check(self: Any, _check: Any = original_check,
                      _name: str = cls.__name__) -> list[str]:
                calls.setdefault(_name, []).append("checked")
                return list(_check(self))

            monkeypatch.setattr(cls, "__init__", init)
            monkeypatch.setattr(cls, "check", check)
    return calls


def test_validate_builds_and_checks_each_component_once(
    tmp_path: Path, counted: dict[str, list[str]]
) -> None:
    spec = write_spec(tmp_path, llm="{use: extractive, fallback: [extractive]}")

    result = CliRunner().invoke(main, ["validate", str(spec)])

    assert result.exit_code == 0, result.output
    assert "executor      local" in result.output
    fallback = counted.pop("ExtractiveLLM")  # the primary and its fallback: two uses
    assert fallback == ["built", "built", "checked", "checked"]
    assert set(counted) == {"SubtitlesExtractor", "RulesChunker", "HashingEmbedder", "NumpyIndex",
                            "SqliteCache", "LocalExecutor"}
    assert all(calls == ["built", "checked"] for calls in counted.values()), counted


def test_a_run_checks_each_component_once(tmp_path: Path, counted: dict[str, list[str]]) -> None:
    [result] = run(load_spec(write_spec(tmp_path)))

    assert result.error is None
    assert all(calls.count("checked") == 1 for calls in counted.values()), counted


# --- executors ----------------------------------------------------------------------------------


class PickledExecutor(Executor[ComponentConfig]):
    """Runs each stage the way an executor on other processes would: a `StageCall` pickled and
    run from the spec alone, its artifact handed back to the job."""

    name = "pickled"

    def run(self, jobs: Sequence[Job]) -> Iterator[Job]:
        for job in jobs:
            if job.start():
                for stage in job.graph.stages:  # in dependency order
                    t0 = time.monotonic()
                    stored = job.reuse(stage)
                    if stored is not None:
                        job.finish_stage(stage, stored, time.monotonic() - t0, reused=True)
                        continue
                    call = pickle.loads(pickle.dumps(job.stage_call(stage)))
                    try:
                        outcome = pickle.loads(pickle.dumps(call.run()))
                    except Exception as exc:
                        job.fail(stage, exc)
                        break
                    job.finish_stage(stage, outcome.value, time.monotonic() - t0,
                                     tally=outcome.tally)
            yield job


class PickledPlugin:
    @staticmethod
    @hookimpl
    def register_executors(register: Callable[[type], None]) -> None:
        register(PickledExecutor)


def test_an_executor_running_pickled_stage_calls_makes_what_local_makes(
    tmp_path: Path, register_plugin: Callable[..., str]
) -> None:
    register_plugin(PickledPlugin)
    local_dir, pickled_dir = tmp_path / "local", tmp_path / "pickled"
    ask = '["Which enzyme unwinds the DNA double helix?"]'
    [local] = run(load_spec(write_spec(local_dir.mkdir() or local_dir, ask=ask)))
    spec = write_spec(pickled_dir.mkdir() or pickled_dir, ask=ask)

    [pickled] = run(load_spec(spec, overrides=["executor={use: pickled}"]))

    assert local.error is None and pickled.error is None
    assert [s.stage for s in pickled.report.stages] == ["transcript", "chunk", "index",
                                                        "summarize", "ask", "qa"]
    for name in OUTPUTS:
        assert (local.run_dir / name).read_bytes() == (pickled.run_dir / name).read_bytes(), name
    # the LLM calls made in the pickled calls' own gateways are counted in the run's report
    assert pickled.report.llm == local.report.llm
    assert pickled.report.naive_input_tokens == local.report.naive_input_tokens
    keys = sorted(p.name for p in (local_dir / "runs" / ".halo" / "artifacts").glob("*.json"))
    assert keys == sorted(p.name for p in (pickled_dir / "runs" / ".halo" / "artifacts")
                          .glob("*.json"))
    # run.json names a chosen executor; the default is left out (run.json reads as it did)
    assert json.loads((pickled.run_dir / "run.json").read_text())["spec"]["executor"] == {
        "use": "pickled", "with": {}}
    assert "executor" not in json.loads((local.run_dir / "run.json").read_text())["spec"]


def test_a_fallback_taken_in_a_stage_call_holds_for_the_run_and_names_its_artifacts(
    tmp_path: Path, register_plugin: Callable[..., str]
) -> None:
    register_plugin(PickledPlugin)
    register_plugin(_FailingPlugin())
    ask, llm = '["Which enzyme unwinds the DNA double helix?"]', (
        "{use: always-transient, fallback: [extractive]}")
    local_dir, pickled_dir = tmp_path / "local", tmp_path / "pickled"
    [local] = run(load_spec(write_spec(local_dir.mkdir() or local_dir, ask=ask, llm=llm)))
    spec = write_spec(pickled_dir.mkdir() or pickled_dir, ask=ask, llm=llm)

    [pickled] = run(load_spec(spec, overrides=["executor={use: pickled}"]))

    assert pickled.error is None and local.error is None
    assert pickled.report.llm == local.report.llm  # the fallback answered, counted once
    assert len(pickled.report.llm_fallbacks_taken) == 1  # the ask call started from it
    keys = sorted(p.name for p in (local_dir / "runs" / ".halo" / "artifacts").glob("*.json"))
    assert keys == sorted(p.name for p in (pickled_dir / "runs" / ".halo" / "artifacts")
                          .glob("*.json"))


def test_halo_run_takes_an_executor_by_name(tmp_path: Path) -> None:
    spec = write_spec(tmp_path)

    result = CliRunner().invoke(main, ["run", str(spec), "-q", "--executor", "nope"])

    assert result.exit_code == 2
    assert "--set executor={use: nope}: unknown executor 'nope'" in result.output
    assert "Installed executors: local" in result.output


# --- no stale outputs ---------------------------------------------------------------------------


def test_a_failed_forced_run_leaves_no_previous_outputs_and_says_which_stage_failed(
    tmp_path: Path, halo_test_plugin: ModuleType
) -> None:
    spec = write_spec(tmp_path)
    [first] = run(load_spec(spec))
    assert first.error is None and "incomplete" not in json.loads(
        (first.run_dir / "run.json").read_text())
    marker = tmp_path / "fail-now"
    marker.write_text("")
    crashing = write_spec(tmp_path, extractors=(
        f"[{{use: subtitles}}, {{use: crashy, with: {{fail_marker: '{marker}'}}}}]"))

    [failed] = run(load_spec(crashing), force=True)

    assert isinstance(failed.error, StageFailed)
    folder = failed.run_dir
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == ["run.json"]
    record = json.loads((folder / "run.json").read_text())
    assert record["incomplete"]["stage"] == "crash"
    assert "boom: the fail marker exists" in record["incomplete"]["error"]


def test_a_run_stopped_after_chunking_keeps_its_own_outputs_and_says_so(
    tmp_path: Path, halo_test_plugin: ModuleType
) -> None:
    [first] = run(load_spec(write_spec(tmp_path)))
    assert (first.run_dir / "notes.md").is_file()
    budget = write_spec(tmp_path, llm="{use: scripted, with: {max_calls: 2}}")

    [stopped] = run(load_spec(budget))

    assert stopped.error is not None and "budget of 2 calls" in stopped.error.message
    kept = sorted(p.name for p in stopped.run_dir.iterdir() if p.is_file())
    assert kept == ["chunks.json", "run.json", "timeline.json", "timeline.svg"]
    data = load_run(stopped.run_dir)
    assert data.incomplete is not None and data.incomplete["stage"] == "summarize"
    assert data.chunks == stopped.data.chunks and data.summaries is None


# --- the Python API -----------------------------------------------------------------------------


def test_the_python_api_example_runs_the_sample_and_answers_with_citations(
    tmp_path: Path,
) -> None:
    doc = (ROOT / "docs" / "python-api.md").read_text()
    [example] = re.findall(r"```python\n(.*?)```", doc, flags=re.DOTALL)[:1]
    for shipped in ("pipelines", "samples"):
        (tmp_path / shipped).symlink_to(ROOT / shipped)
    (tmp_path / "example.py").write_text(example)

    done = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, "HALO_LOAD_PLUGINS": ""}, check=False)

    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.splitlines()[-1])
    assert "helicase" in answer["answer"]
    assert answer["citations"] and all(c["end"] > c["start"] for c in answer["citations"])
    assert (tmp_path / "runs" / "subtitles" / "lecture" / "notes.md").is_file()


class TestLocalHonoursTheExecutorContract(ExecutorContract):
    @pytest.fixture
    def executor(self) -> str:
        return "local"


class TestPickledHonoursTheExecutorContract(ExecutorContract):
    @pytest.fixture
    def executor(self, register_plugin: Callable[..., str]) -> str:
        register_plugin(PickledPlugin)
        return "pickled"
