"""Bad input gets one clear message (what, where, fix) and exit code 2, never a traceback.

Most cases run `halo validate` in-process (click's CliRunner) with the toy components from
conftest; the unreadable-file case runs in a subprocess as an unprivileged user when the tests run
as root (root reads any file).
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from halo_core.cli import main
from halo_core.errors import BudgetExceeded

REPO = Path(__file__).resolve().parents[1]
NOBODY = 65534  # the `nobody` user


@pytest.fixture
def halo(toy_components: str) -> Callable[..., Result]:
    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, list(args))

    return invoke


def assert_clean_failure(result: Result, *expected: str, code: int = 2) -> None:
    output = result.stdout + result.stderr
    assert result.exit_code == code, output
    assert "Traceback" not in output
    for text in expected:
        assert text in result.stderr, result.stderr


def test_a_valid_spec_prints_a_summary(halo, toy_spec):
    result = halo("validate", str(toy_spec()))
    assert result.exit_code == 0, result.stderr
    assert ": OK — pipeline 'toy'" in result.stdout
    assert "lecture.mp4 (148.8 s, audio+video)" in result.stdout
    assert "toy-transcript" in result.stdout and "toy-chunker" in result.stdout


def test_missing_spec_file(halo, tmp_path):
    result = halo("validate", str(tmp_path / "nope.yaml"))
    assert_clean_failure(result, f"{tmp_path / 'nope.yaml'}: spec file not found", "fix: ")


def test_missing_input_file(halo, toy_spec, tmp_path):
    result = halo("validate", str(toy_spec()), "--input", str(tmp_path / "gone.mp4"))
    assert_clean_failure(result, f"--input {tmp_path / 'gone.mp4'}: input file not found")


def test_non_media_file(halo, toy_spec, tmp_path):
    fake = tmp_path / "talk.mp4"
    fake.write_text("this is a text file, not a video\n" * 20)
    result = halo("validate", str(toy_spec()), "--input", str(fake))
    assert_clean_failure(result, f"{fake}: not a media file FFmpeg can read",
                         "fix: pass a video or audio file")


def test_zero_length_file(halo, toy_spec, tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.touch()
    result = halo("validate", str(toy_spec()), "--input", str(empty))
    assert_clean_failure(result, f"{empty}: file is empty (0 bytes)")


def test_malformed_yaml(halo, toy_spec):
    spec = toy_spec(replace={"with: {language: en}": "with: {language: en"})
    result = halo("validate", str(spec))
    # the parser notices at the next line's `use:` that the flow mapping was never closed
    assert_clean_failure(result, f"{spec}:7:8: malformed YAML: while parsing a flow mapping")


def test_unknown_component(halo, toy_spec):
    spec = toy_spec(replace={"use: toy-topics": "use: toy-topix"})
    result = halo("validate", str(spec))
    assert_clean_failure(result, f"{spec}:7:10: unknown extractor 'toy-topix'. "
                                 "Did you mean 'toy-topics'?")


def test_wrong_parameter_type(halo, toy_spec):
    spec = toy_spec(replace={"max_duration: 120": "max_duration: [2, minutes]"})
    result = halo("validate", str(spec))
    assert_clean_failure(result, f"{spec}:8:50: chunker 'toy-chunker'",
                         "Input should be a valid number", "expected float")


def test_unknown_set_path(halo, toy_spec):
    result = halo("validate", str(toy_spec()), "--set", "chunker.with.max_durtion=60")
    assert_clean_failure(result, "--set chunker.with.max_durtion=60: unknown path",
                         "did you mean 'max_duration'")


@pytest.fixture(scope="module")
def video_without_audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("media") / "silent.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5",
                    "-t", "1", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def test_video_without_the_audio_a_required_extractor_needs(halo, toy_spec,
                                                            video_without_audio):
    spec = toy_spec(replace={"use: toy-topics": "use: toy-audio\n    required: true"})
    result = halo("validate", str(spec), "--input", str(video_without_audio))
    assert_clean_failure(result, f"{video_without_audio}: extractor 'toy-audio' is "
                                 "`required: true`, but the file has no audio stream",
                         "fix: pass a file that has audio")


def test_an_extractor_the_input_cannot_feed_is_a_notice_of_validate(halo, toy_spec,
                                                                    video_without_audio):
    spec = toy_spec(replace={"use: toy-topics": "use: toy-audio"})
    result = halo("validate", str(spec), "--input", str(video_without_audio))
    assert result.exit_code == 0, result.output
    assert ("note: silent.mp4: skipped extractor 'toy-audio' (loudness): the file has no audio "
            "stream") in result.output


def test_every_problem_of_a_bad_run_is_listed_together(halo, toy_spec, tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.touch()
    spec = toy_spec(replace={"use: toy-topics": "use: toy-topix"}, media=str(empty))
    result = halo("validate", str(spec), "--set", "chunker.with.max_duration=soon")
    assert_clean_failure(result, "3 problems in the pipeline spec",
                         f"{spec}:7:10: unknown extractor 'toy-topix'",
                         "--set chunker.with.max_duration=soon: chunker 'toy-chunker'",
                         f"{spec}:3:10: {empty}: file is empty")


@pytest.fixture
def world_readable_dir() -> Iterator[Path]:
    # pytest's tmp_path is private to root; an unprivileged user must be able to reach the files.
    folder = Path(tempfile.mkdtemp(prefix="halo-perm-"))
    folder.chmod(0o755)
    yield folder
    for child in folder.iterdir():
        child.chmod(0o644)
        child.unlink()
    folder.rmdir()


@contextlib.contextmanager
def unprivileged() -> Iterator[None]:
    """Run the block as an ordinary user: root may read any file, so drop root while it runs."""
    if os.geteuid() != 0:
        yield
        return
    import av  # noqa: F401  (imported now: root's interpreter files are not for `nobody`)

    import halo_core.media  # noqa: F401

    os.setegid(NOBODY)
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


def test_unreadable_input_file(halo, toy_spec, world_readable_dir, sample_dir):
    spec = toy_spec()
    readable_spec = world_readable_dir / "spec.yaml"
    readable_spec.write_text(spec.read_text())
    locked = world_readable_dir / "locked.mp4"
    locked.write_bytes((sample_dir / "lecture.mp4").read_bytes()[:4096])
    locked.chmod(0)
    with unprivileged():
        result = halo("validate", str(readable_spec), "--input", str(locked))
    assert_clean_failure(result, f"--input {locked}: {locked}: cannot read file (permission "
                                 f"denied) (fix: chmod +r {locked})")


def test_unreadable_spec_file(halo, world_readable_dir):
    spec = world_readable_dir / "spec.yaml"
    spec.write_text("version: 1\nname: x\n")
    spec.chmod(stat.S_IWUSR)
    with unprivileged():
        result = halo("validate", str(spec))
    assert_clean_failure(result, f"{spec}: cannot read the spec (permission denied)")


# --- how `halo` turns exceptions into exit codes ----------------------------------------------


@pytest.fixture
def add_command() -> Iterator[Callable[[Callable[[], None]], str]]:
    added: list[str] = []

    def add(callback: Callable[[], None]) -> str:
        name = f"test-command-{len(added)}"
        main.add_command(click.Command(name, callback=callback))
        added.append(name)
        return name

    yield add
    for name in added:
        main.commands.pop(name, None)


def test_a_usage_error_exits_2_as_click_does():
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 2
    assert "Missing argument 'SPEC'" in result.stderr


def test_a_halo_error_keeps_its_exit_code(add_command):
    def over_budget() -> None:
        raise BudgetExceeded("the next call would cost $0.42", where="llm gemini",
                             fix="raise the budget with --budget 1.00")

    result = CliRunner().invoke(main, [add_command(over_budget)])
    assert result.exit_code == 3
    assert result.stderr == ("llm gemini: the next call would cost $0.42\n"
                             "  fix: raise the budget with --budget 1.00\n")


def test_a_bug_is_one_line_unless_halo_debug(add_command, monkeypatch):
    def buggy() -> None:
        raise ZeroDivisionError("division by zero")

    name = add_command(buggy)
    monkeypatch.delenv("HALO_DEBUG", raising=False)
    result = CliRunner().invoke(main, [name])
    assert result.exit_code == 1
    assert result.stderr == ("internal error: ZeroDivisionError: division by zero "
                             "(set HALO_DEBUG=1 for the traceback)\n")
    monkeypatch.setenv("HALO_DEBUG", "1")
    debug = CliRunner().invoke(main, [name])
    assert debug.exit_code == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert 'raise ZeroDivisionError("division by zero")' in debug.stderr


def test_ctrl_c_exits_130(add_command):
    def interrupted() -> None:
        raise KeyboardInterrupt

    result = CliRunner().invoke(main, [add_command(interrupted)])
    assert result.exit_code == 130
    assert "Traceback" not in result.stderr


def test_halo_runs_as_a_module(run_halo, isolated_env):
    result = run_halo("--help", env=isolated_env())
    assert result.returncode == 0
    for command in ("validate", "schema", "plugins"):
        assert command in result.stdout


def test_log_levels_follow_quiet_and_verbose(add_command):
    import logging

    def chatty() -> None:
        log = logging.getLogger("halo.test-chatty")
        log.debug("a debug line")
        log.info("an info line")
        log.warning("a warning line")
        log.error("an error line")

    name = add_command(chatty)
    lines = {flags: CliRunner().invoke(main, [*flags, name]).stderr
             for flags in [(), ("-q",), ("-v",), ("-vv",)]}
    assert lines[()] == ("WARNING halo.test-chatty: a warning line\n"
                         "ERROR halo.test-chatty: an error line\n")
    assert lines[("-q",)] == "ERROR halo.test-chatty: an error line\n"
    assert "INFO halo.test-chatty: an info line" in lines[("-v",)]
    assert "DEBUG" not in lines[("-v",)]
    assert "DEBUG halo.test-chatty: a debug line" in lines[("-vv",)]
