"""`halo run SPEC --set llm.use=openai` against the fake server: summaries and answers, and
report.json's cost equal to the usage times the spec's prices.

The spec is pipelines/subtitles.yaml: built-in extractors only, so this runs with this plugin alone
(its nox session loads no other plugin)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from halo_openai.fake_server import FakeOpenAI

ROOT = Path(__file__).resolve().parents[3]
SPEC = ROOT / "pipelines" / "subtitles.yaml"
HALO = Path(sys.executable).with_name("halo")
KEY = "sk-e2e-key-not-to-be-seen-0123456789"


def halo(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    return subprocess.run(
        [str(HALO), *args], cwd=cwd, env={**clean, **env}, capture_output=True, text=True,
        timeout=300,
    )


def test_a_run_on_a_local_server_costs_usage_times_the_given_prices(tmp_path: Path) -> None:
    with FakeOpenAI(api_key=KEY, models=("qwen3:8b",), details=False) as fake:
        result = halo(
            [
                "run", str(SPEC),
                "--set", "llm.use=openai",
                "--set", "llm.with.model=qwen3:8b",
                "--set", f"llm.with.base_url={fake.api_url}",
                "--set", "llm.with.api_key=${LOCAL_KEY}",
                "--set", "llm.with.prices.qwen3:8b.standard.input=1.0",
                "--set", "llm.with.prices.qwen3:8b.standard.cached_input=0.25",
                "--set", "llm.with.prices.qwen3:8b.standard.output=2.0",
            ],
            tmp_path,
            LOCAL_KEY=KEY,
        )
        ledger = list(fake.ledger)
    assert result.returncode == 0, result.stderr
    run = tmp_path / "runs" / "subtitles" / "lecture"
    report = json.loads((run / "report.json").read_text())
    (used,) = report["llm"].values()
    assert used["requests"] == len(ledger) > 3, "chunk, section and video summaries, answers"
    usage = used["usage"]
    assert usage["input_tokens"] == sum(e.prompt for e in ledger)
    expected = (
        (usage["input_tokens"] - usage["cached_tokens"]) * 1.0
        + usage["cached_tokens"] * 0.25
        + (usage["output_tokens"] + usage["thoughts_tokens"]) * 2.0
    ) / 1e6
    assert used["cost_usd"] == pytest.approx(expected) and used["cost_usd"] > 0
    assert "fake OpenAI reply" in (run / "notes.md").read_text()
    everything = result.stdout + result.stderr + "".join(
        p.read_text(errors="replace") for p in (tmp_path / "runs").rglob("*") if p.is_file()
    )
    assert KEY not in everything


def test_validate_reports_an_unknown_model_at_the_spec_line(tmp_path: Path) -> None:
    with FakeOpenAI(models=("qwen3:8b",)) as fake:
        result = halo(
            [
                "validate", str(SPEC),
                "--set", "llm.use=openai",
                "--set", "llm.with.model=qwen9:1t",
                "--set", f"llm.with.base_url={fake.api_url}",
            ],
            tmp_path,
        )
    assert result.returncode != 0
    assert "has no model 'qwen9:1t'" in result.stdout + result.stderr
    assert "qwen3:8b" in result.stdout + result.stderr


def test_estimate_makes_no_chat_call_and_is_within_10_percent(tmp_path: Path) -> None:
    with FakeOpenAI(api_key=KEY) as fake:
        sets = ["--set", "llm.use=openai", "--set", "llm.with.model=gpt-6.1-sol",
                "--set", f"llm.with.base_url={fake.api_url}"]
        planned = halo(["run", str(SPEC), *sets, "--estimate"], tmp_path, OPENAI_API_KEY=KEY)
        assert planned.returncode == 0, planned.stderr
        assert not fake.calls("chat")
        total = float(re.search(r"total: .*?\$([\d.]+);", planned.stdout).group(1))
        result = halo(["run", str(SPEC), *sets], tmp_path, OPENAI_API_KEY=KEY)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "runs/subtitles/lecture/report.json").read_text())
    actual = sum(m["cost_usd"] for m in report["llm"].values())
    assert abs(total - actual) <= 0.10 * actual, (total, actual)


def test_the_budget_stops_the_run_with_exit_3_and_keeps_finished_work(tmp_path: Path) -> None:
    # one call's worst case: 2048 output tokens x $10 per 1M = ~$0.021; the budget holds two
    with FakeOpenAI(api_key=KEY) as fake:
        result = halo(
            ["run", str(SPEC), "--set", "llm.use=openai", "--set", "llm.with.model=gpt-6.1-sol",
             "--set", f"llm.with.base_url={fake.api_url}", "--set", "llm.with.max_cost_usd=0.05"],
            tmp_path,
            OPENAI_API_KEY=KEY,
        )
        spent = len(fake.ledger)
    assert result.returncode == 3, result.stderr
    assert "max_cost_usd" in result.stderr and spent >= 1
    assert KEY not in result.stdout + result.stderr
    rerun = halo(["run", str(SPEC), "--set", "llm.use=extractive"], tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads((tmp_path / "runs/subtitles/lecture/report.json").read_text())
    reused = {s["stage"] for s in report["stages"] if s["reused"]}
    assert {"transcript", "chunk"} <= reused, "the work finished before the stop was kept"
