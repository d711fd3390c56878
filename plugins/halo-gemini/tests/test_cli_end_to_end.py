"""`halo run SPEC --set llm.use=gemini` against the fake server, and the same without a key.

The spec is pipelines/subtitles.yaml: built-in extractors only, so these run with this plugin alone
(its nox session loads no other plugin)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from halo_gemini.fake_server import FakeGemini

ROOT = Path(__file__).resolve().parents[3]
SPEC = ROOT / "pipelines" / "subtitles.yaml"
HALO = Path(sys.executable).with_name("halo")


def halo(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY")}
    return subprocess.run(
        [str(HALO), *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_run_on_the_fake_server_reports_gemini_usage(fake: FakeGemini, api_key, tmp_path) -> None:
    result = halo(
        [
            "run",
            str(SPEC),
            "--set",
            "llm.use=gemini",
            "--set",
            f"llm.with.base_url={fake.base_url}",
            "--set",
            "llm.with.mode=video",
            "--set",
            "llm.with.media_resolution=low",
        ],
        tmp_path,
        GEMINI_API_KEY=api_key,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "runs/subtitles/lecture/report.json").read_text())
    assert set(report["llm"]) == {"gemini-3.5-flash-lite", "gemini-3.8-flash"}  # the defaults
    served = [e for e in fake.ledger if e.endpoint == "generateContent"]
    assert sum(m["requests"] for m in report["llm"].values()) == len(served)
    assert sum(m["usage"]["input_tokens"] for m in report["llm"].values()) == sum(
        e.prompt for e in served
    )
    assert any(e.video for e in served), "chunk summaries saw their video clips"
    assert len(fake.calls("upload")) == 2, "the video was uploaded once"
    everything = (
        result.stdout
        + result.stderr
        + "".join(
            p.read_text(errors="replace") for p in (tmp_path / "runs").rglob("*") if p.is_file()
        )
    )
    assert api_key not in everything


def test_without_a_key_the_run_stops_with_a_clear_message(tmp_path) -> None:
    result = halo(["run", str(SPEC), "--set", "llm.use=gemini"], tmp_path)
    assert result.returncode == 2
    assert "no Gemini API key: set GEMINI_API_KEY" in result.stderr + result.stdout
    assert "fallback" in result.stderr + result.stdout
    assert not (tmp_path / "runs").exists()


def test_without_a_key_a_fallback_chain_runs_the_fallback(tmp_path) -> None:
    result = halo(
        ["run", str(SPEC), "--set", "llm.use=gemini", "--set", "llm.fallback=[extractive]"],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "llm 'gemini' cannot run here (no Gemini API key" in result.stdout + result.stderr
    report = json.loads((tmp_path / "runs/subtitles/lecture/report.json").read_text())
    assert not any(model.startswith("gemini") for model in report["llm"])


def clip_spans(body: dict[str, Any]) -> list[tuple[float, float]]:
    """The (start, end) seconds of each video clip a generateContent body sends."""
    meta = [
        p["videoMetadata"] for c in body["contents"] for p in c["parts"] if "videoMetadata" in p
    ]
    return [(float(m["start_offset"][:-1]), float(m["end_offset"][:-1])) for m in meta]


def test_batch_map_phase_and_video_clips_for_questions(fake: FakeGemini, api_key, tmp_path) -> None:
    """`llm.with.batch: true`: the chunk summaries go out as one Batch API job; `halo ask` in
    video mode sends the retrieved time spans as video clips."""
    options = [f"base_url={fake.base_url}", "batch=true", "batch_poll_s=0.01", "mode=video",
               "media_resolution=low", "context_cache=false"]  # fmt: skip
    sets = [arg for option in options for arg in ("--set", f"llm.with.{option}")]
    ran = halo(["run", str(SPEC), "--set", "llm.use=gemini", *sets], tmp_path,
               GEMINI_API_KEY=api_key)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    run_dir = tmp_path / "runs/subtitles/lecture"
    chunks = json.loads((run_dir / "chunks.json").read_text())["chunks"]
    assert len(chunks) > 1
    [create] = [c for c in fake.calls("batches") if c.method == "POST"]
    items = create.body["batch"]["inputConfig"]["requests"]["requests"]
    sent = [clip_spans(item["request"]) for item in items]
    assert sent == [[pytest.approx((c["start"], c["end"]), abs=1e-3)] for c in chunks]
    batched = [e for e in fake.ledger if e.endpoint == "generateContent" and e.batch]
    assert len(batched) == len(chunks), "the map phase, and only it, went through the batch"
    sent_before = len(fake.calls("generateContent"))

    question = "Where does the tidal range exceed fifteen metres?"
    asked = halo(["ask", str(run_dir), question, "--json"], tmp_path, GEMINI_API_KEY=api_key)

    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["citations"]
    [body] = [c.body for c in fake.calls("generateContent")[sent_before:]]
    assert clip_spans(body) == [
        pytest.approx((c["start"], c["end"]), abs=1e-3) for c in answer["citations"]
    ]


def test_estimate_makes_no_generation_call_and_is_within_10_percent(
    fake: FakeGemini, api_key, tmp_path
) -> None:
    sets = ["--set", "llm.use=gemini", "--set", f"llm.with.base_url={fake.base_url}",
            "--set", "llm.with.mode=video", "--set", "llm.with.context_cache=false"]
    planned = halo(["run", str(SPEC), *sets, "--estimate"], tmp_path, GEMINI_API_KEY=api_key)
    assert planned.returncode == 0, planned.stderr
    assert not fake.calls("generateContent") and fake.calls("countTokens")
    assert not (tmp_path / "runs/subtitles/lecture/report.json").exists(), "no outputs"
    total = float(re.search(r"total: .*?\$([\d.]+);", planned.stdout).group(1))
    assert "naive, the whole video each time" in planned.stdout

    result = halo(["run", str(SPEC), *sets], tmp_path, GEMINI_API_KEY=api_key)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "runs/subtitles/lecture/report.json").read_text())
    actual = sum(m["cost_usd"] for m in report["llm"].values())
    assert abs(total - actual) <= 0.10 * actual, (total, actual)
