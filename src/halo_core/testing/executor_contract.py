"""The contract every executor honours, as a test suite to subclass: it makes what `local` makes.

Override the `executor` fixture: the `use:` name of your executor (registered, e.g. by your
installed plugin or with `halo_core.testing.plugins.registered`). The suite runs one small spec (a
generated 12-second recording with a subtitles sidecar; built-in components only) with `local` and
with yours, and compares the run folders.

    class TestRayExecutor(ExecutorContract):
        @pytest.fixture
        def executor(self, ray_cluster):
            return "ray"
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ..api import run
from ..model import RunReport
from .media import tone

OUTPUTS = ("timeline.json", "chunks.json", "summaries.json", "answers.json", "notes.md",
           "timeline.svg")
SUBTITLES = """1
00:00:00,500 --> 00:00:03,500
The Moon's gravity pulls on the oceans and raises two bulges of water.

2
00:00:04,000 --> 00:00:07,500
As the Earth turns, a coast passes through both bulges, so it sees two high tides a day.

3
00:00:08,000 --> 00:00:11,500
Gutenberg printed books with movable metal type, and printing spread across Europe.
"""


def write_spec(folder: Path) -> Path:
    """A spec over a generated recording with a subtitles sidecar, outputs and cache in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    media = tone(folder / "talk.wav", seconds=12.0)
    (folder / "talk.srt").write_text(SUBTITLES, encoding="utf-8")
    spec = folder / "spec.yaml"
    spec.write_text(
        f"version: 1\nname: contract\ninputs: [{media.path}]\n"
        "extractors: [{use: subtitles}]\n"
        "chunker: {use: rules, with: {min_duration: 2, max_duration: 6}}\n"
        f"cache: {{use: sqlite, with: {{path: {folder / 'cache.db'}}}}}\n"
        "tasks: {summarize: true, ask: ['Why are there two high tides a day?']}\n"
        f"outputs: {folder / 'runs'}\n",
        encoding="utf-8",
    )
    return spec


def run_with(folder: Path, executor: str) -> tuple[Path, RunReport]:
    """The run folder and report of the spec run by `executor`, which must succeed."""
    [result] = run(write_spec(folder), overrides={"executor": {"use": executor}})
    assert result.error is None, result.error.message
    assert result.run_dir is not None and result.report is not None
    return result.run_dir, result.report


class ExecutorContract:
    @pytest.fixture
    def executor(self) -> str:
        raise NotImplementedError("override the executor fixture: your executor's name")

    def test_makes_what_local_makes(self, executor: str, tmp_path: Path) -> None:
        local_dir, local = run_with(tmp_path / "local", "local")
        your_dir, yours = run_with(tmp_path / "yours", executor)
        assert [s.stage for s in yours.stages] == [s.stage for s in local.stages]
        for name in OUTPUTS:
            assert (your_dir / name).read_bytes() == (local_dir / name).read_bytes(), name
        assert yours.llm == local.llm

    def test_a_second_run_reuses_every_stage(self, executor: str, tmp_path: Path) -> None:
        run_dir, first = run_with(tmp_path, executor)
        notes = (run_dir / "notes.md").read_bytes()
        _, again = run_with(tmp_path, executor)
        assert not any(s.reused for s in first.stages)
        assert all(s.reused for s in again.stages)
        assert (run_dir / "notes.md").read_bytes() == notes
