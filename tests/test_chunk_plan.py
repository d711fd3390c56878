"""The per-chunk cost plan (halo_core.chunk_plan): what each chunk is read by under a budget."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from halo_core import (
    Boundary,
    BudgetExceeded,
    Chunk,
    ChunkSetting,
    CostLadder,
    Media,
    SlideText,
    Timeline,
)
from halo_core.builtins.extractive import ExtractiveLLM
from halo_core.chunk_plan import make_plan, render, visual_evidence, with_actuals
from halo_core.estimate import CallEstimate
from halo_core.gateway import LLMGateway
from halo_core.model import Summaries, Summary
from halo_core.summarize import chunk_request

MEDIA = Media(path=Path("/videos/talk.mp4"), sha256="ab" * 32, size_bytes=1, duration=600.0)
LIGHT, STRONG = "light-model", "strong-model"
LADDER = [
    ChunkSetting(mode="transcript", model=LIGHT),
    ChunkSetting(mode="transcript", model=STRONG),
    *(ChunkSetting(mode="video", model=m, fps=f, media_resolution=r)
      for m in (LIGHT, STRONG) for r, f in (("default", 1.0), ("low", 1.0), ("low", 0.5))),
]  # fmt: skip
PER_MINUTE_USD = {"transcript": 0.0002, "default": 0.004, "low": 0.001}
"""A setting's cost per minute of chunk (×4 on the strong model, × fps for video)."""


def chunk(index: int, start: float, end: float, *, words: int, cuts: int = 0) -> Chunk:
    return Chunk(id=f"c{index:04d}", index=index, start=start, end=end, text="word " * words,
                 opened_by=Boundary(time=start), closed_by=Boundary(time=end),
                 token_estimate=round(words * 1.3),
                 scene_cuts=[start + (end - start) * (n + 1) / (cuts + 1)
                             for n in range(cuts)])  # fmt: skip


def call(setting: ChunkSetting, minutes: float, slack: float = 0.0) -> CallEstimate:
    rate = PER_MINUTE_USD["transcript" if setting.mode == "transcript" else
                          str(setting.media_resolution)] * (setting.fps or 1.0)  # fmt: skip
    cost = round(rate * minutes * (4 if setting.model == STRONG else 1), 8)
    return CallEstimate("summarize", setting.model, int(cost * 1e7), 224, cost,
                        worst_usd=cost + slack)  # fmt: skip


def ladder(budget: float, in_flight: int = 1) -> CostLadder:
    return CostLadder(settings=LADDER, budget_usd=budget, priced_on="2026-11-29",
                      calls_in_flight=in_flight)  # fmt: skip


def plan(chunks: list[Chunk], budget: float, timeline: Timeline | None = None, *,
         slack: float = 0.0, in_flight: int = 1, fixed: float = 0.001):  # noqa: ANN202
    calls = [[call(s, (c.end - c.start) / 60, slack) for s in LADDER] for c in chunks]
    summary = CallEstimate("summarize", STRONG, 1000, 224, fixed, level="video")
    return make_plan(ladder(budget, in_flight), chunks, timeline or Timeline(duration=600.0),
                     calls, summaries=[summary], questions=[], naive_usd=0.5,
                     where="test")  # fmt: skip


def lecture() -> tuple[list[Chunk], Timeline]:
    """Six two-minute chunks: talking heads (a full transcript) but for c0001 and c0004, where
    the slides change and the speaker says little."""
    chunks = [chunk(i, i * 120.0, (i + 1) * 120.0, words=40 if i in (1, 4) else 300,
                    cuts=5 if i in (1, 4) else 0) for i in range(6)]  # fmt: skip
    slides = [SlideText(start=t, end=t + 30, text=f"slide {t}") for t in (130.0, 170.0, 490.0,
                                                                          530.0)]  # fmt: skip
    return chunks, Timeline(duration=720.0).with_track("slides", slides)


def rank(setting: ChunkSetting) -> float:
    return call(setting, 1.0).cost_usd


def test_visual_evidence_is_high_for_slides_and_cuts_and_low_for_a_talking_head() -> None:
    chunks, timeline = lecture()
    evidence = [visual_evidence(c, timeline) for c in chunks]
    assert evidence[0] == pytest.approx(0.1)  # 300 words in 2 minutes, no cut, no slide
    assert min(evidence[1], evidence[4]) > 0.8
    assert max(evidence[0], evidence[2], evidence[3], evidence[5]) < 0.2


def test_between_the_cheapest_and_the_best_plan_the_visual_chunks_get_video_first() -> None:
    chunks, timeline = lecture()
    cheapest = plan(chunks, 10.0, timeline).cheapest_usd
    best = plan(chunks, 10.0, timeline).best_usd
    chosen = plan(chunks, cheapest + 0.05 * (best - cheapest), timeline)
    modes = {c.id: c.setting.mode for c in chosen.chunks}
    assert modes["c0001"] == modes["c0004"] == "video"
    assert {modes[c] for c in ("c0000", "c0002", "c0003", "c0005")} == {"transcript"}
    assert chosen.planned_usd <= chosen.budget_usd
    for step in range(41):  # a talking head gets video only once the visual chunks have it
        chosen = plan(chunks, cheapest + step / 40 * (best - cheapest), timeline)
        modes = {c.id: c.setting.mode for c in chosen.chunks}
        if any(modes[c] == "video" for c in ("c0000", "c0002", "c0003", "c0005")):
            assert modes["c0001"] == modes["c0004"] == "video"
    assert plan(chunks, best, timeline).planned_usd == pytest.approx(best)
    assert {c.setting.label() for c in plan(chunks, best, timeline).chunks} == {
        "video default 1 fps"}


def test_an_infeasible_budget_says_what_the_cheapest_plan_costs_and_exits_3() -> None:
    chunks, timeline = lecture()
    cheapest = plan(chunks, 10.0, timeline, slack=0.01, in_flight=2)
    with pytest.raises(BudgetExceeded) as stopped:
        plan(chunks, cheapest.cheapest_usd + 0.019, timeline, slack=0.01, in_flight=2)
    assert stopped.value.exit_code == 3
    assert "even the cheapest plan does not fit" in stopped.value.message
    assert "no generation call was made" in stopped.value.message
    # the cheapest plan and the reserve: 2 calls in flight × $0.01 of slack
    assert f"${cheapest.cheapest_usd + 0.02:.4f}" in str(stopped.value.fix)
    assert plan(chunks, cheapest.cheapest_usd + 0.02, timeline, slack=0.01, in_flight=2)


budgets = st.floats(min_value=0.0, max_value=0.2, allow_nan=False)
durations = st.lists(st.floats(min_value=5.0, max_value=300.0), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(durations=durations, words=st.data(), budget=budgets, more=budgets)
def test_the_plan_is_monotone_in_the_budget_and_fits_whenever_feasible(
    durations: list[float], words: st.DataObject, budget: float, more: float
) -> None:
    chunks, start = [], 0.0
    for i, seconds in enumerate(durations):
        count = words.draw(st.integers(min_value=0, max_value=int(seconds * 3)))
        cuts = words.draw(st.integers(min_value=0, max_value=6))
        chunks.append(chunk(i, start, start + seconds, words=count, cuts=cuts))
        start += seconds
    low, high = sorted((budget, more))
    try:
        small = plan(chunks, low, slack=0.0005, in_flight=3)
    except BudgetExceeded:
        return
    large = plan(chunks, high, slack=0.0005, in_flight=3)
    for a, b in zip(small.chunks, large.chunks, strict=True):
        assert a.planned_usd <= b.planned_usd, (a, b)
    for chosen in (small, large):
        assert chosen.planned_usd + chosen.reserve_usd <= chosen.budget_usd + 1e-12
        assert chosen.cheapest_usd <= chosen.planned_usd <= chosen.best_usd + 1e-12
    assert plan(chunks, low, slack=0.0005, in_flight=3) == small  # deterministic


def test_ties_go_to_the_earlier_chunk() -> None:
    chunks = [chunk(i, i * 60.0, (i + 1) * 60.0, words=100) for i in range(4)]
    cheapest = plan(chunks, 10.0).cheapest_usd
    one_upgrade = call(LADDER[1], 1.0).cost_usd - call(LADDER[0], 1.0).cost_usd
    chosen = plan(chunks, cheapest + 2.5 * one_upgrade)
    assert [c.setting.model for c in chosen.chunks] == [STRONG, STRONG, LIGHT, LIGHT]


def test_the_table_shows_each_chunk_and_the_totals_and_actuals_after_the_run() -> None:
    chunks, timeline = lecture()
    chosen = plan(chunks, 0.05, timeline)
    table = render(chosen)
    assert all(c.id in table for c in chunks)
    assert "naive whole video $0.5000" in table and "budget $0.0500" in table
    summaries = Summaries(media="talk.mp4", chunks=[
        Summary(level="chunk", id=c.id, start=c.start, end=c.end, text="t", cost_usd=0.001)
        for c in chunks])  # fmt: skip
    after = with_actuals(chosen, summaries)
    assert [c.actual_usd for c in after.chunks] == [0.001] * 6
    shown = render(after, 0.02)
    assert "actual: chunks $0.0060" in shown and "the run $0.0200" in shown


def test_a_chunk_setting_is_part_of_the_cache_key() -> None:
    c = chunk(0, 0.0, 60.0, words=100)
    gateway = LLMGateway(ExtractiveLLM())
    keys = {gateway.l1_key(chunk_request(c, MEDIA, s), "ctx") for s in LADDER}
    keys.add(gateway.l1_key(chunk_request(c, MEDIA), "ctx"))
    assert len(keys) == len(LADDER) + 1, "a reply made with other settings is never served"
