"""The per-chunk cost plan on Gemini (halo_core.chunk_plan): `halo run` with `max_cost_usd`
against the fake server, on the sample lecture with the speech of its middle minute removed
from the subtitles (a chunk where the picture holds what the transcript does not)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from halo_gemini.fake_server import FakeGemini
from test_cli_end_to_end import SPEC, halo

import halo_core
from halo_core import ChunkPlan

SAMPLE = SPEC.parents[1] / "samples" / "lecture"
CHUNK_PROMPT = "Summarize this part of the video."


@pytest.fixture
def quiet_lecture(tmp_path: Path) -> Path:
    """The sample lecture whose cues starting between 55 s and 98 s are left out."""
    folder = tmp_path / "media"
    folder.mkdir()
    shutil.copy(SAMPLE / "lecture.mp4", folder / "lecture.mp4")
    cues = (SAMPLE / "lecture.srt").read_text().strip().split("\n\n")

    def start(cue: str) -> float:
        hours, minutes, seconds = cue.splitlines()[1].split(" --> ")[0].split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds.replace(",", "."))

    kept = [cue for cue in cues if not 55 < start(cue) < 98]
    (folder / "lecture.srt").write_text("\n\n".join(kept) + "\n")
    return folder / "lecture.mp4"


def options(fake: FakeGemini, budget: float) -> list[str]:
    sets = ["llm.use=gemini", f"llm.with.base_url={fake.base_url}", "llm.with.mode=video",
            "llm.with.context_cache=false", f"llm.with.max_cost_usd={budget}"]  # fmt: skip
    return [arg for s in sets for arg in ("--set", s)]


def estimate(fake: FakeGemini, api_key: str, video: Path, out: Path, budget: float,
             monkeypatch: pytest.MonkeyPatch) -> ChunkPlan:  # fmt: skip
    monkeypatch.setenv("GEMINI_API_KEY", api_key)
    overrides: dict[str, Any] = {
        "llm.use": "gemini", "llm.with.base_url": fake.base_url, "llm.with.mode": "video",
        "llm.with.context_cache": False, "llm.with.state_path": None,
        "llm.with.max_cost_usd": budget,
    }  # fmt: skip
    planned = halo_core.run(SPEC, inputs=[video], out=out, overrides=overrides, estimate=True)
    [item] = planned.inputs
    assert item.error is None and item.chunk_plan is not None
    return item.chunk_plan


def chunk_calls(fake: FakeGemini) -> list[dict[str, Any]]:
    """The map phase's generateContent bodies."""
    return [c.body for c in fake.calls("generateContent")
            if any(str(p.get("text", "")).startswith(CHUNK_PROMPT) for part in c.body["contents"]
                   for p in [*part["parts"]])]  # fmt: skip


def sends_video(body: dict[str, Any]) -> bool:
    return any("fileData" in p for c in body["contents"] for p in c["parts"])


def between(plan: ChunkPlan, share: float) -> float:
    """A budget `share` of the way from the cheapest plan to the best, with the reserve."""
    return plan.reserve_usd + plan.cheapest_usd + share * (plan.best_usd - plan.cheapest_usd)


def test_a_budget_between_transcript_and_video_mixes_them_and_the_run_keeps_to_the_plan(
    fake: FakeGemini, api_key: str, quiet_lecture: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    unlimited = estimate(fake, api_key, quiet_lecture, tmp_path / "runs", 10.0, monkeypatch)
    budget = between(unlimited, 0.3)
    planned = estimate(fake, api_key, quiet_lecture, tmp_path / "runs", budget, monkeypatch)
    assert planned == estimate(fake, api_key, quiet_lecture, tmp_path / "runs", budget,
                               monkeypatch), "the same inputs make the same plan"  # fmt: skip
    assert not fake.calls("generateContent"), "planning makes no generation call"

    ran = halo(["run", str(SPEC), "--input", str(quiet_lecture), *options(fake, budget)],
               tmp_path, GEMINI_API_KEY=api_key)  # fmt: skip

    assert ran.returncode == 0, ran.stderr
    report = json.loads((tmp_path / "runs/subtitles/lecture/report.json").read_text())
    plan = ChunkPlan.model_validate(report["plan"])
    assert [c.setting for c in plan.chunks] == [c.setting for c in planned.chunks]
    modes = [c.setting.mode for c in plan.chunks]
    assert set(modes) == {"transcript", "video"}, modes
    quiet = max(plan.chunks, key=lambda c: c.visual)
    assert quiet.setting.mode == "video", "the chunk only the picture tells gets video first"
    assert quiet.visual > max(c.visual for c in plan.chunks if c is not quiet)
    sent = chunk_calls(fake)
    assert sum(map(sends_video, sent)) == modes.count("video") and len(sent) == len(modes)
    actual = sum(m["cost_usd"] for m in report["llm"].values())
    assert actual <= budget
    assert abs(actual - plan.planned_usd) <= 0.10 * plan.planned_usd, (actual, plan.planned_usd)
    assert all(c.actual_usd is not None and c.actual_usd > 0 for c in plan.chunks)
    assert "cost plan per chunk" in ran.stdout
    assert all(c.id in ran.stdout for c in plan.chunks)
    assert f"the run ${actual:.4f}" in ran.stdout


def test_a_smaller_budget_never_gives_a_chunk_a_dearer_setting(
    fake: FakeGemini, api_key: str, quiet_lecture: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    unlimited = estimate(fake, api_key, quiet_lecture, tmp_path / "runs", 10.0, monkeypatch)
    plans = [estimate(fake, api_key, quiet_lecture, tmp_path / "runs", between(unlimited, s),
                      monkeypatch) for s in (0.0, 0.2, 0.5, 1.0001)]  # fmt: skip
    for smaller, larger in zip(plans, plans[1:]):
        assert all(a.planned_usd <= b.planned_usd
                   for a, b in zip(smaller.chunks, larger.chunks, strict=True))  # fmt: skip
        assert smaller.planned_usd + smaller.reserve_usd <= smaller.budget_usd
    assert {c.setting.mode for c in plans[0].chunks} == {"transcript"}
    assert {c.setting.label() for c in plans[-1].chunks} == {"video default 1 fps"}


def test_a_budget_the_cheapest_plan_exceeds_stops_before_any_generation_call(
    fake: FakeGemini, api_key: str, tmp_path: Path
) -> None:
    ran = halo(["run", str(SPEC), *options(fake, 0.002)], tmp_path, GEMINI_API_KEY=api_key)
    assert ran.returncode == 3, ran.stderr
    assert "even the cheapest plan does not fit the $0.0020 budget" in ran.stderr
    assert "fix: raise llm.with.max_cost_usd to at least $" in ran.stderr
    assert not fake.calls("generateContent") and fake.calls("countTokens")
    assert not (tmp_path / "runs/subtitles/lecture/report.json").exists()

    estimated = halo(["run", str(SPEC), *options(fake, 0.002), "--estimate"], tmp_path,
                     GEMINI_API_KEY=api_key)  # fmt: skip
    assert estimated.returncode == 3
    assert "even the cheapest plan does not fit" in estimated.stdout
    assert not fake.calls("generateContent")


def test_another_plan_is_never_served_a_chunk_summary_made_with_other_settings(
    fake: FakeGemini, api_key: str, quiet_lecture: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    unlimited = estimate(fake, api_key, quiet_lecture, tmp_path / "runs", 10.0, monkeypatch)
    mixed = estimate(fake, api_key, quiet_lecture, tmp_path / "runs", between(unlimited, 0.3),
                     monkeypatch)  # fmt: skip
    run = ["run", str(SPEC), "--input", str(quiet_lecture)]
    first = halo([*run, *options(fake, between(unlimited, 0.3))], tmp_path, GEMINI_API_KEY=api_key)
    assert first.returncode == 0, first.stderr
    before = len(chunk_calls(fake))

    second = halo([*run, *options(fake, 10.0)], tmp_path, GEMINI_API_KEY=api_key)

    assert second.returncode == 0, second.stderr
    changed = [a.id for a, b in zip(mixed.chunks, unlimited.chunks, strict=True)
               if a.setting != b.setting]  # fmt: skip
    assert changed and len(changed) < len(mixed.chunks)
    again = chunk_calls(fake)[before:]
    assert len(again) == len(changed), "only the chunks whose setting changed were asked again"
    assert all(sends_video(body) for body in again)
