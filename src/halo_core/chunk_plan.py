"""A per-chunk cost plan: with `max_cost_usd`, which setting each chunk's summary request gets
(the transcript or the video clip, at which fps and media resolution, on which model) so that
the run's planned LLM work fits the budget, spending where it buys most.

The backend offers the settings (`LLMBackend.cost_ladder()`) and prices each for each chunk with
its own token accounting (`estimate_call`: countTokens, frames × tokens per frame at the media
resolution, audio tokens, the price of the run's day). The rest of the run's work (section and
video summaries, the questions) does not depend on the chunks' settings: it is planned once, the
same way `--estimate` plans it, and is the plan's fixed part.

What a setting is worth for a chunk (`value`):

    minutes × (visual × fidelity(setting) + MODEL_GAIN × [setting is on the stronger model])

- `visual` (`visual_evidence`, in [0.1, 1]) says how much of the chunk only the picture holds:
  0.1, plus up to 0.3 each for scene cuts (2 a minute or more: full), slide text on screen (two
  different slides or more: full) and little speech (a transcript of no words: full; 3 tokens a
  second, a lecturer's pace, or more: none). A talking head with a full transcript is 0.1; a
  fast-changing silent demo is 1.
- `fidelity` is 0 for the transcript; a video clip is worth 0.5 + 0.5 × fps / the best fps, × 0.7
  at low media resolution.
- `MODEL_GAIN` (0.25): what the stronger model adds to any chunk, seen or read.

Choosing (`choose`): each chunk starts at its cheapest setting (settings that cost as much as a
cheaper one and are worth no more are dropped). Upgrades are then ordered once, greedily: the
next is the jump of any chunk to a better setting with the most value per extra dollar (ties: the
earlier chunk, then the cheaper setting). The plan takes that order's longest prefix that fits,
so it is deterministic and monotone in the budget: a smaller budget never gives any chunk a more
expensive setting than a larger one. What it fits is the budget less a reserve: the budget stop
holds each call's worst case (its whole output allowance) while the call is in flight, so a plan
that spent the budget to the cent would be stopped before its last calls; the reserve is the
largest such slack among the plan's calls, once per call the run makes at once.

When even the cheapest setting for every chunk does not fit, `BudgetExceeded` (exit 3) says so
before any generation call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .chunking import SLIDES
from .errors import BudgetExceeded
from .estimate import CallEstimate
from .model import Chunk, ChunkPlan, ChunkSetting, CostLadder, PlannedChunk, Summaries, Timeline
from .times import clock

MODEL_GAIN = 0.25
"""Value per minute the stronger model adds to a chunk, whatever it reads."""
LOW_RESOLUTION_FIDELITY = 0.7
"""A low-resolution frame keeps the layout and large text, not small print."""
CUTS_PER_MINUTE_FULL = 2.0
SLIDES_FULL = 2
SPEECH_TOKENS_PER_S = 3.0
"""A lecturer's pace (about 150 words a minute): a transcript this dense carries the chunk."""


def visual_evidence(chunk: Chunk, timeline: Timeline) -> float:
    """How much of `chunk` only the picture holds, in [0.1, 1] (see the module doc)."""
    seconds = max(chunk.end - chunk.start, 1e-6)
    cuts = min(1.0, len(chunk.scene_cuts) / (seconds / 60) / CUTS_PER_MINUTE_FULL)
    shown = {
        s.text for s in timeline.track(SLIDES)
        if getattr(s, "text", "") and s.start < chunk.end and s.end > chunk.start
    }  # fmt: skip
    slides = min(1.0, len(shown) / SLIDES_FULL)
    quiet = 1.0 - min(1.0, chunk.token_estimate / seconds / SPEECH_TOKENS_PER_S)
    return round(0.1 + 0.3 * cuts + 0.3 * slides + 0.3 * quiet, 4)


def value(setting: ChunkSetting, minutes: float, visual: float, ladder: CostLadder) -> float:
    """What `setting` is worth for a chunk of `minutes` with `visual` evidence."""
    light = ladder.settings[0].model
    best_fps = max((s.fps or 0.0) for s in ladder.settings) or 1.0
    fidelity = 0.0
    if setting.mode == "video":
        fidelity = 0.5 + 0.5 * (setting.fps or best_fps) / best_fps
        if setting.media_resolution == "low":
            fidelity *= LOW_RESOLUTION_FIDELITY
    return minutes * (visual * fidelity + MODEL_GAIN * (setting.model != light))


@dataclass(frozen=True)
class Option:
    """One setting for one chunk: its value and planned call."""

    setting: ChunkSetting
    value: float
    call: CallEstimate


def _chain(options: Sequence[Option]) -> list[Option]:
    """`options` by cost, keeping only those worth more than every cheaper one."""
    ordered = sorted(options, key=lambda o: (o.call.cost_usd, -o.value))
    kept: list[Option] = []
    for option in ordered:
        if not kept or (option.value > kept[-1].value
                        and option.call.cost_usd > kept[-1].call.cost_usd):
            kept.append(option)
    return kept


def upgrades(chains: Sequence[Sequence[Option]]) -> list[tuple[int, int]]:
    """The greedy order of upgrades (chunk, position in its chain), budget aside."""
    at = [0] * len(chains)
    order: list[tuple[int, int]] = []
    while True:
        best: tuple[float, int, int] | None = None
        for i, chain in enumerate(chains):
            here = chain[at[i]]
            for j in range(at[i] + 1, len(chain)):
                extra = chain[j].call.cost_usd - here.call.cost_usd
                ratio = (chain[j].value - here.value) / extra
                if best is None or ratio > best[0]:  # strict: ties keep the earlier chunk
                    best = (ratio, i, j)
        if best is None:
            return order
        _, i, j = best
        at[i] = j
        order.append((i, j))


@dataclass(frozen=True)
class Fixed:
    """The plan's part that no chunk setting changes: its cost, and the largest slack (worst case
    less planned cost) of any of its calls."""

    cost_usd: float
    slack_usd: float = 0.0


def reserve_usd(chains: Sequence[Sequence[Option]], at: Sequence[int], fixed: Fixed,
                calls_in_flight: int) -> float:
    """What the budget stop may hold beyond the plan at once: the largest slack of the plan's
    calls, for each call in flight."""
    slack = max([fixed.slack_usd, *(chain[n].call.slack_usd for chain, n in zip(chains, at))])
    return calls_in_flight * slack


def choose(chains: Sequence[Sequence[Option]], fixed: Fixed, budget_usd: float,
           calls_in_flight: int = 1) -> list[int] | None:
    """Each chunk's position in its chain: the longest prefix of `upgrades` whose total (with
    the fixed part and the reserve for calls in flight) stays within `budget_usd`; None when
    not even the cheapest plan does."""
    at = [0] * len(chains)
    total = fixed.cost_usd + sum(chain[0].call.cost_usd for chain in chains)
    if total + reserve_usd(chains, at, fixed, calls_in_flight) > budget_usd:
        return None
    for i, j in upgrades(chains):
        tried = [*at[:i], j, *at[i + 1:]]
        extra = chains[i][j].call.cost_usd - chains[i][at[i]].call.cost_usd
        if total + extra + reserve_usd(chains, tried, fixed, calls_in_flight) > budget_usd:
            break
        total, at = total + extra, tried
    return at


def make_plan(
    ladder: CostLadder,
    chunks: Sequence[Chunk],
    timeline: Timeline,
    calls: Sequence[Sequence[CallEstimate]],
    *,
    summaries: Sequence[CallEstimate],
    questions: Sequence[CallEstimate],
    naive_usd: float | None,
    where: str,
) -> ChunkPlan:
    """The plan for `chunks`, given each chunk's planned call under each of `ladder.settings`
    (`calls[chunk][setting]`) and the fixed part's calls (section and video `summaries`, the
    `questions`); `BudgetExceeded` when nothing fits."""
    chains = []
    visuals = []
    for chunk, planned in zip(chunks, calls, strict=True):
        visual = visual_evidence(chunk, timeline)
        minutes = (chunk.end - chunk.start) / 60
        visuals.append(visual)
        chains.append(_chain([
            Option(s, value(s, minutes, visual, ladder), c)
            for s, c in zip(ladder.settings, planned, strict=True)
        ]))  # fmt: skip
    summaries_usd = sum(c.cost_usd for c in summaries)
    questions_usd = sum(c.cost_usd for c in questions)
    fixed = Fixed(summaries_usd + questions_usd,
                  max((c.slack_usd for c in [*summaries, *questions]), default=0.0))
    cheapest = fixed.cost_usd + sum(chain[0].call.cost_usd for chain in chains)
    chosen = choose(chains, fixed, ladder.budget_usd, ladder.calls_in_flight)
    if chosen is None:
        reserve = reserve_usd(chains, [0] * len(chains), fixed, ladder.calls_in_flight)
        least = chains[0][0].setting if chains else ladder.settings[0]
        raise BudgetExceeded(
            f"even the cheapest plan does not fit the ${ladder.budget_usd:.4f} budget: "
            f"${cheapest:.4f} (every chunk by {least.label()} on {least.model}, "
            f"${summaries_usd:.4f} of section and video summaries, ${questions_usd:.4f} of "
            f"questions) + ${reserve:.4f} the budget stop holds for the worst case of the "
            "calls in flight; no generation call was made",
            where=where,
            fix=f"raise llm.with.max_cost_usd to at least ${cheapest + reserve:.4f}, or ask "
            "fewer questions (tasks.ask), or lower llm.with.max_output_tokens",
        )
    return ChunkPlan(
        budget_usd=ladder.budget_usd,
        priced_on=ladder.priced_on,
        reserve_usd=reserve_usd(chains, chosen, fixed, ladder.calls_in_flight),
        chunks=[
            PlannedChunk(id=chunk.id, start=chunk.start, end=chunk.end,
                         setting=chain[at].setting, visual=visual,
                         prompt_tokens=chain[at].call.prompt_tokens,
                         planned_usd=chain[at].call.cost_usd)
            for chunk, chain, at, visual in zip(chunks, chains, chosen, visuals, strict=True)
        ],  # fmt: skip
        summaries_usd=summaries_usd,
        questions_usd=questions_usd,
        cheapest_usd=cheapest,
        best_usd=fixed.cost_usd + sum(chain[-1].call.cost_usd for chain in chains),
        naive_usd=naive_usd,
    )


def with_actuals(plan: ChunkPlan, summaries: Summaries | None) -> ChunkPlan:
    """`plan` with each chunk's actual cost: what its summary's call cost."""
    cost = {s.id: s.cost_usd for s in summaries.chunks} if summaries else {}
    return plan.model_copy(update={"chunks": [
        c.model_copy(update={"actual_usd": cost.get(c.id)}) for c in plan.chunks
    ]})  # fmt: skip


def render(plan: ChunkPlan, spent_usd: float | None = None) -> str:
    """The plan as a table: per chunk its setting, tokens and dollars (planned, and actual once
    the run has them); then the totals beside the budget and the naive whole video, and what
    the run spent (`spent_usd`) when it has run."""
    actual = any(c.actual_usd is not None for c in plan.chunks)
    head = f"{'chunk':<12} {'span':<13} {'visual':>6}  {'setting':<24} {'model':<24} " \
           f"{'tokens':>8} {'planned $':>10}" + (f" {'actual $':>10}" if actual else "")
    lines = [f"cost plan per chunk (budget ${plan.budget_usd:.4f}, prices of {plan.priced_on}):",
             "  " + head]  # fmt: skip
    for c in plan.chunks:
        span = f"{clock(c.start)}-{clock(c.end)}"
        line = f"{c.id:<12} {span:<13} {c.visual:>6.2f}  {c.setting.label():<24} " \
               f"{c.setting.model:<24} {c.prompt_tokens:>8,} {c.planned_usd:>10.4f}"
        if actual:
            line += f" {c.actual_usd:>10.4f}" if c.actual_usd is not None else f" {'-':>10}"
        lines.append("  " + line)
    mix = Counter(f"{c.setting.label()} on {c.setting.model}" for c in plan.chunks)
    chunk_usd = sum(c.planned_usd for c in plan.chunks)
    lines.append(f"  chunks: {', '.join(f'{n} × {k}' for k, n in mix.items())}: ${chunk_usd:.4f}")
    lines.append(f"  section and video summaries ${plan.summaries_usd:.4f}, "
                 f"questions ${plan.questions_usd:.4f}")  # fmt: skip
    total = f"  planned total ${plan.planned_usd:.4f} of the ${plan.budget_usd:.4f} budget " \
            f"(${plan.reserve_usd:.4f} held for calls in flight); every chunk cheapest " \
            f"${plan.cheapest_usd:.4f}, best ${plan.best_usd:.4f}"
    if plan.naive_usd is not None:
        total += f"; naive whole video ${plan.naive_usd:.4f}"
    lines.append(total)
    if actual:
        chunks_spent = sum(c.actual_usd or 0.0 for c in plan.chunks)
        lines.append(f"  actual: chunks ${chunks_spent:.4f} (planned ${chunk_usd:.4f})"
                     + (f", the run ${spent_usd:.4f} (planned ${plan.planned_usd:.4f})"
                        if spent_usd is not None else ""))  # fmt: skip
    return "\n".join(lines)
