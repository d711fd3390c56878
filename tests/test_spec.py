"""Pipeline specs: interpolation, overrides, inputs, and every problem reported at once with its
file:line:column. Uses the throwaway `toy-*` components from conftest."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halo_core.errors import SpecError
from halo_core.spec import (
    inspect_spec,
    load_and_validate,
    load_spec,
    load_stored_spec,
    validate,
)

pytestmark = pytest.mark.usefixtures("toy_components")


def location(spec: Path, token: str, nth: int = 0, skip: int = 0) -> str:
    """`file:line:col` of the `nth` occurrence of `token` in the spec's text (`skip` columns on)."""
    seen = 0
    for number, line in enumerate(spec.read_text().splitlines(), start=1):
        column = line.find(token)
        while column >= 0:
            if seen == nth:
                return f"{spec}:{number}:{column + 1 + skip}"
            seen += 1
            column = line.find(token, column + 1)
    raise AssertionError(f"{token!r} not in {spec}")


def problems_of(spec: Path, **kwargs: object) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_and_validate(spec, **kwargs)  # type: ignore[arg-type]
    return caught.value.problems


def test_toy_spec_is_valid(toy_spec):
    loaded = load_and_validate(toy_spec())
    assert loaded.spec.name == "toy"
    assert [r.use for r in loaded.spec.extractors] == ["toy-transcript", "toy-topics"]
    assert loaded.spec.chunker.with_ == {"max_duration": 120}
    assert loaded.secrets == set()


# --- interpolation ---------------------------------------------------------------------------


INTERPOLATED = """\
version: 1
name: toy
inputs: [MEDIA]
extractors:
  - use: toy-transcript
    with: {language: "${TOY_LANG:-fr}"}
chunker: {use: toy-chunker, with: {max_duration: "${TOY_MAX}"}}
embedder: {use: toy-embedder}
index: {use: toy-index}
cache: {use: toy-cache}
llm: {use: toy-cloud, with: {api_key: "${TOY_API_KEY}", model: "cost $$5 ${TOY_TIER:-}"}}
outputs: "${TOY_OUT:-runs}/nightly"
"""


def test_interpolation_defaults_and_escapes(toy_spec, monkeypatch):
    monkeypatch.setenv("TOY_MAX", "90")
    monkeypatch.setenv("TOY_API_KEY", "sk-toy-123456")
    monkeypatch.delenv("TOY_LANG", raising=False)
    monkeypatch.delenv("TOY_OUT", raising=False)
    monkeypatch.setenv("TOY_TIER", "")
    loaded = load_and_validate(toy_spec(INTERPOLATED))
    assert loaded.spec.extractors[0].with_ == {"language": "fr"}
    assert loaded.spec.chunker.with_ == {"max_duration": "90"}  # the Config parses it
    assert loaded.spec.llm.with_ == {"api_key": "sk-toy-123456", "model": "cost $5 "}
    assert loaded.spec.outputs == "runs/nightly"
    assert "sk-toy-123456" in loaded.secrets and "90" in loaded.secrets


def test_missing_variable_names_it_and_where(toy_spec, monkeypatch):
    monkeypatch.delenv("TOY_MAX", raising=False)
    monkeypatch.setenv("TOY_API_KEY", "sk-toy-123456")
    spec = toy_spec(INTERPOLATED)
    problems = problems_of(spec)
    [missing] = [p for p in problems if "TOY_MAX" in p]
    assert missing.startswith(location(spec, '"${TOY_MAX}"') + ": environment variable TOY_MAX")
    assert "chunker.with.max_duration" in missing
    assert "export TOY_MAX=" in missing


def test_a_set_but_empty_variable_takes_the_default(toy_spec, monkeypatch):
    monkeypatch.setenv("TOY_MAX", "60")
    monkeypatch.setenv("TOY_API_KEY", "k" * 8)
    monkeypatch.setenv("TOY_LANG", "")
    loaded = load_and_validate(toy_spec(INTERPOLATED))
    assert loaded.spec.extractors[0].with_["language"] == "fr"


# --- secrets ---------------------------------------------------------------------------------


def test_secrets_are_redacted_and_never_stored(toy_spec, monkeypatch, tmp_path):
    monkeypatch.setenv("TOY_MAX", "90")
    monkeypatch.setenv("TOY_API_KEY", "sk-toy-123456")
    loaded = load_and_validate(toy_spec(INTERPOLATED))
    assert loaded.redact("calling with key sk-toy-123456 now") == "calling with key *** now"
    assert loaded.redact("90 seconds") == "90 seconds"  # too short to be a secret; left alone

    stored = json.loads(json.dumps(loaded.storable()))
    assert "sk-toy-123456" not in json.dumps(stored)
    assert stored["llm"]["with"]["api_key"] == "${TOY_API_KEY}"
    assert stored["llm"]["with"]["model"] == "cost $$5 ${TOY_TIER:-}"
    assert stored["inputs"] == [str(p) for p in loaded.inputs]

    monkeypatch.setenv("TOY_API_KEY", "sk-rotated-7890")
    again = load_stored_spec(stored, tmp_path)
    assert again.spec.llm.with_["api_key"] == "sk-rotated-7890"
    assert again.spec.llm.with_["model"] == "cost $5 "
    assert again.spec.chunker.with_ == loaded.spec.chunker.with_
    assert again.inputs == loaded.inputs
    assert again.redact("sk-rotated-7890") == "***"
    assert validate(again) == []


def test_log_filter_masks_secrets(toy_spec, monkeypatch, caplog):
    import logging

    monkeypatch.setenv("TOY_MAX", "90")
    monkeypatch.setenv("TOY_API_KEY", "sk-toy-123456")
    loaded = load_and_validate(toy_spec(INTERPOLATED))
    logger = logging.getLogger("halo.test-secrets")
    logger.addFilter(loaded.log_filter())
    with caplog.at_level(logging.INFO, logger="halo.test-secrets"):
        logger.info("request headers: %s", {"x-api-key": "sk-toy-123456"})
    assert "sk-toy-123456" not in caplog.text and "***" in caplog.text


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Cn"]),
                    max_size=30))
def test_any_string_survives_the_storable_round_trip(toy_spec, tmp_path, text):
    # A literal string (even one holding `${…}` or `$`) written with `$$` escapes comes back as is.
    # JSON strings are valid YAML double-quoted scalars
    escaped = json.dumps(text.replace("$", "$$"), ensure_ascii=False)
    loaded = load_and_validate(toy_spec(append=f"outputs: {escaped}\n"))
    assert loaded.spec.outputs == text
    stored = json.loads(json.dumps(loaded.storable()))
    assert load_stored_spec(stored, tmp_path).spec.outputs == text


# --- --set -----------------------------------------------------------------------------------


def test_set_overrides_values_with_yaml_types(toy_spec):
    loaded = load_and_validate(toy_spec(), overrides=[
        "chunker.with.max_duration=90.5",
        "chunker.with.min_duration=10",
        "extractors.1.use=toy-audio",
        "llm={use: toy-cloud, with: {api_key: abcdef}}",
        "tasks.ask=[What is HALO, 'Why: not?']",
    ])
    assert loaded.spec.chunker.with_ == {"max_duration": 90.5, "min_duration": 10}
    assert [r.use for r in loaded.spec.extractors] == ["toy-transcript", "toy-audio"]
    assert loaded.spec.llm.use == "toy-cloud"
    assert loaded.spec.tasks.ask == ["What is HALO", "Why: not?"]


def test_set_unknown_paths_suggest_close_matches(toy_spec):
    problems = problems_of(toy_spec(), overrides=[
        "chunker.wiht.max_duration=1",
        "chunker.with.max_durration=1",
        "extractors.5.use=toy-audio",
        "extractors.first.use=toy-audio",
        "taskss.summarize=false",
        "name.first=x",
        "no-equals-sign",
    ])
    assert problems[0] == (
        "--set chunker.wiht.max_duration=1: unknown path 'chunker.wiht.max_duration': chunker has "
        "no key 'wiht' (fix: did you mean 'with'?)")
    assert problems[1].startswith("--set chunker.with.max_durration=1: unknown path")
    assert "options of chunker 'toy-chunker'" in problems[1]
    assert "did you mean 'max_duration'" in problems[1]
    assert "extractors is a list of 2" in problems[2] and "from 0 to 1" in problems[2]
    assert "'first' is not an index" in problems[3]
    assert "did you mean 'tasks'?" in problems[4]
    assert "name is a str, not a mapping or a list" in problems[5]
    assert problems[6] == ("--set no-equals-sign: expected PATH=VALUE "
                           "(fix: e.g. --set chunker.with.max_duration=120)")
    assert len(problems) == 7


def test_set_value_with_wrong_type_is_reported_at_the_set(toy_spec):
    problems = problems_of(toy_spec(), overrides=["chunker.with.max_duration=long"])
    assert problems == [
        "--set chunker.with.max_duration=long: chunker 'toy-chunker' (registered at run time): "
        "chunker.with.max_duration: Input should be a valid number, unable to parse string as a "
        "number (got 'long') (fix: expected float; longest chunk, seconds; default 300.0)"
    ]


# --- inputs ----------------------------------------------------------------------------------


def test_spec_inputs_are_relative_to_the_spec_and_globbed(tmp_path, sample_dir, toy_spec):
    media = tmp_path / "media"
    media.mkdir()
    for stem in ("b", "a"):
        shutil.copy(sample_dir / "lecture.mp4", media / f"{stem}.mp4")
    (media / "notes.txt").write_text("not matched")
    loaded = load_and_validate(toy_spec(media="media/*.mp4"))
    assert loaded.inputs == [media / "a.mp4", media / "b.mp4"]


def test_cli_inputs_replace_the_spec_inputs(tmp_path, sample_dir, toy_spec, monkeypatch):
    monkeypatch.chdir(sample_dir)
    loaded = load_and_validate(toy_spec(media="missing.mp4"), inputs=["lecture.mp4", "*.mp4"])
    assert loaded.inputs == [sample_dir / "lecture.mp4"]  # the glob's match is not repeated


def test_missing_inputs_and_empty_globs_are_problems(toy_spec, tmp_path, monkeypatch):
    spec = toy_spec(media="gone.mp4, clips/*.mkv")
    problems = problems_of(spec)
    assert problems[0].startswith(f"{location(spec, 'gone.mp4')}: input file not found: "
                                  f"{tmp_path / 'gone.mp4'}")
    assert problems[1].startswith(f"{location(spec, 'clips/*.mkv')}: no file matches "
                                  "'clips/*.mkv' (relative paths are relative to")
    monkeypatch.chdir(tmp_path)
    assert problems_of(spec, inputs=["nope.mp4"])[0].startswith(
        "--input nope.mp4: input file not found")


def test_a_spec_without_inputs_says_how_to_give_them(toy_spec):
    spec = toy_spec(replace={"inputs: [MEDIA]\n": ""})
    assert problems_of(spec) == [
        f"{spec}:1:1: the spec names no inputs "
        "(fix: add `inputs: [video.mp4]` to the spec, or pass --input FILE)"]


def test_out_replaces_outputs(toy_spec):
    assert load_and_validate(toy_spec(), out="elsewhere").spec.outputs == "elsewhere"
    assert load_and_validate(toy_spec(), out=Path("else/where")).spec.outputs == "else/where"


# --- every problem at once -------------------------------------------------------------------


MANY_PROBLEMS = """\
version: 1
name: toy
inputs: [MEDIA]
extractors:
  - use: toy-transcrpt
  - use: toy-topics
    with: {depth: 3}
  - use: toy-speaker-names
chunker: {use: toy-chunker, with: {max_duration: long, min_durration: 5}}
embedder: {use: toy-embeder}
index: {use: toy-index}
cache: {use: toy-cache}
llm: {use: toy-offline, fallback: [toy-clod]}
max_workers: 0
tasks: {summarise: true}
"""


def test_every_problem_is_reported_at_once_with_line_and_column(toy_spec):
    spec = toy_spec(MANY_PROBLEMS)
    problems = problems_of(spec)
    at = {p.split(": ", 1)[0]: p for p in problems}
    expected = {
        location(spec, "max_workers: 0", skip=13): "max_workers: Input should be greater than",
        location(spec, "summarise"): "unknown key 'summarise' in tasks",
        location(spec, "toy-transcrpt"): "unknown extractor 'toy-transcrpt'",
        location(spec, "depth"): "unknown key 'depth' in extractors.1.with",
        location(spec, "long"): "chunker.with.max_duration: Input should be a valid number",
        location(spec, "min_durration"): "unknown key 'min_durration' in chunker.with",
        location(spec, "toy-embeder"): "unknown embedder 'toy-embeder'",
        location(spec, "toy-clod"): "unknown llm 'toy-clod'",
        location(spec, "toy-speaker-names"): "requires the 'speakers' track",
    }
    for where, what in expected.items():
        assert where in at, f"no problem at {where}; got:\n" + "\n".join(problems)
        assert what in at[where], at[where]
    topics = [p for p in problems if "'toy-topics' requires the 'transcript' track" in p]
    assert topics and topics[0].startswith(location(spec, "toy-topics"))
    assert len(problems) == len(expected) + 1, "\n".join(problems)


def test_close_matches_and_fixes_are_suggested(toy_spec):
    spec = toy_spec(MANY_PROBLEMS)
    text = "\n".join(problems_of(spec))
    assert "Did you mean 'toy-transcript'?" in text
    assert "Did you mean 'toy-embedder'?" in text
    assert "Did you mean 'toy-cloud'?" in text
    assert "did you mean 'min_duration'" in text
    assert "extractors.1.with takes no options: remove it" in text
    assert "did you mean 'summarize'?" in text
    # the transcript is missing because of the typo: the fix names what provides it
    [transcript] = [line for line in text.splitlines() if "'transcript' track" in line]
    assert "add an extractor that provides it: `- use: " in transcript
    assert "toy-transcript" in transcript  # among the installed providers
    assert "toy-speaker-names' requires the 'speakers' track" in text


def test_extractors_in_a_cycle_are_reported(toy_spec):
    spec = toy_spec(replace={"  - use: toy-topics\n":
                             "  - use: toy-topics\n  - use: toy-chicken\n  - use: toy-egg\n"})
    problems = problems_of(spec)
    assert problems == [f"{location(spec, 'toy-chicken')}: extractors depend on each other in a "
                        "cycle: toy-chicken -> toy-egg -> toy-chicken (fix: remove one of them)"]


def test_malformed_yaml_points_at_the_line(toy_spec):
    spec = toy_spec("version: 1\nname: toy\nextractors:\n  - use: [toy-transcript\n")
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    [only] = caught.value.problems
    assert only.startswith(f"{spec}:5:1: malformed YAML:")


def test_unquoted_interpolation_in_a_flow_mapping_gets_a_quoting_hint(toy_spec):
    spec = toy_spec(replace={"{use: toy-offline}": "{use: toy-cloud, with: {api_key: ${KEY}}}"})
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    assert caught.value.problems[0].endswith(
        '(fix: quote values holding ${VAR} inside {...} or [...], e.g. '
        'api_key: "${GEMINI_API_KEY}")')


def test_a_spec_that_is_not_a_mapping(toy_spec):
    spec = toy_spec("- just\n- a list\n")
    with pytest.raises(SpecError, match="the spec is a list, not a mapping"):
        load_spec(spec)


# --- llm fallbacks and check() ---------------------------------------------------------------


def test_llm_check_problems_and_fallbacks(toy_spec, monkeypatch):
    monkeypatch.delenv("TOY_API_KEY", raising=False)
    no_fallback = toy_spec(replace={"{use: toy-offline}": "{use: toy-cloud}"})
    [only] = problems_of(no_fallback)
    assert only == (
        f"{location(no_fallback, 'toy-cloud')}: llm 'toy-cloud' (registered at run time): no API "
        "key: set `with: {api_key: ${TOY_API_KEY}}` and export TOY_API_KEY (fix: fix that, or add "
        "a fallback: `llm: {use: toy-cloud, fallback: [extractive]}`)")

    with_fallback = toy_spec(replace={"{use: toy-offline}":
                                      "{use: toy-cloud, fallback: [toy-offline]}"})
    report = inspect_spec(load_spec(with_fallback))
    assert report.problems == []
    [notice] = report.notices
    assert notice.startswith("llm 'toy-cloud' cannot run here (")
    assert notice.endswith("'toy-offline' will be used instead")


def test_media_problems_when_probing(toy_spec, tmp_path):
    text_file = tmp_path / "notes.mp4"
    text_file.write_text("not a video\n")
    spec = toy_spec(media="notes.mp4")
    loaded = load_spec(spec)
    assert validate(loaded) == []  # inputs are only probed when asked
    [only] = validate(loaded, media=True)
    assert only.startswith(f"{location(spec, 'notes.mp4')}: {text_file}: not a media file")


def test_paths_from_the_environment_are_not_secrets(toy_spec, sample_dir, monkeypatch):
    monkeypatch.setenv("TOY_MEDIA_DIR", str(sample_dir))
    monkeypatch.setenv("TOY_API_KEY", "sk-toy-123456")
    spec = toy_spec(media='"${TOY_MEDIA_DIR}/lecture.mp4"', replace={
        "{use: toy-offline}": '{use: toy-cloud, with: {api_key: "${TOY_API_KEY}"}}'})
    loaded = load_and_validate(spec)
    assert loaded.inputs == [sample_dir / "lecture.mp4"]
    assert loaded.secrets == {"sk-toy-123456"}
    assert loaded.redact(f"{sample_dir}/lecture.mp4") == f"{sample_dir}/lecture.mp4"


def test_a_recursive_alias_is_a_problem_not_a_crash(toy_spec):
    spec = toy_spec(append="tasks: &loop {ask: [*loop]}\n")
    with pytest.raises(SpecError, match="a YAML alias contains itself"):
        load_spec(spec)


def test_set_into_a_section_the_spec_leaves_out_starts_from_its_default(toy_spec):
    spec = toy_spec(replace={"chunker: {use: toy-chunker, with: {max_duration: 120}}\n": ""})
    loaded = load_spec(spec, overrides=["chunker.with.max_duration=60", "tasks.notes=false"])
    assert loaded.spec.chunker.use == "rules"  # the default chunker
    assert loaded.spec.chunker.with_ == {"max_duration": 60}
    assert loaded.spec.tasks.notes is False and loaded.spec.tasks.summarize is True
    problems = problems_of(toy_spec(replace={"  - use: toy-transcript\n    with: {language: en}\n"
                                             "  - use: toy-topics\n": "", "extractors:\n": ""}),
                           overrides=["extractors.0.use=toy-audio"])
    assert problems == ["--set extractors.0.use=toy-audio: unknown path 'extractors.0.use': "
                        "extractors is a list of 0, and '0' is not an index in it (fix: set the "
                        "whole list, e.g. --set extractors=[...])"]


def test_problems_never_quote_a_secret(toy_spec, monkeypatch):
    monkeypatch.setenv("TOY_DURATION", "sk-not-a-number")
    spec = toy_spec(replace={"max_duration: 120": 'max_duration: "${TOY_DURATION}"'})
    [only] = problems_of(spec)
    assert "(got '***')" in only and "sk-not-a-number" not in only
    monkeypatch.setenv("TOY_NAME", "sk-bad name!")
    with pytest.raises(SpecError) as caught:
        load_spec(toy_spec(replace={"name: toy": 'name: "${TOY_NAME}"'}))
    assert "sk-bad name!" not in caught.value.message


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\0"),
                      min_size=8, max_size=40).map(lambda text: f"sk-{text}"))
def test_any_secret_is_interpolated_exactly_and_never_stored(toy_spec, monkeypatch, secret):
    monkeypatch.setenv("TOY_API_KEY", secret)
    spec = toy_spec(replace={"{use: toy-offline}":
                             '{use: toy-cloud, with: {api_key: "${TOY_API_KEY}"}}'})
    loaded = load_and_validate(spec)
    assert loaded.spec.llm.with_["api_key"] == secret
    assert secret not in json.dumps(loaded.storable(), ensure_ascii=False)
    assert secret not in loaded.redact(f"key={secret};")


PIPELINES = Path(__file__).resolve().parents[1] / "pipelines"


def test_the_captions_pipeline_needs_only_built_ins():
    report = inspect_spec(load_spec(PIPELINES / "subtitles.yaml"), media=True)
    assert report.problems == []
    assert {use.distribution for use in report.components} == {"halo-core"}


def test_the_main_pipeline_is_valid_with_the_project_plugins(run_halo):
    env = {k: v for k, v in os.environ.items() if k != "HALO_LOAD_PLUGINS"}  # every plugin
    result = run_halo("validate", str(PIPELINES / "lecture.yaml"), env=env)
    assert result.returncode == 0, result.stderr
    for distribution in (
        "halo-whisper",
        "halo-scenedetect",
        "halo-slides",
        "halo-semantic",
        "halo-core",
    ):
        assert distribution in result.stdout
