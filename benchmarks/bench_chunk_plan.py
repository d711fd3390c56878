"""The per-chunk cost plan (halo_core.chunk_plan) on a generated lecture, against the fake Gemini
server: for a few budgets between the cheapest plan (every chunk by its transcript) and the best
(every chunk's clip at default resolution on the strong model), the mix of settings chosen, the
planned cost and the actual cost from the fake's usage accounting, beside the naive whole video.

The pipeline is the lecture's subtitles (its .srt), scene cuts (halo-scenedetect: a chunk's slide
changes are its visual evidence), the rules chunker, hashing embeddings and numpy index (so no
model loads), `gemini` in video mode with its defaults (gemini-3.5-flash-lite light,
gemini-3.8-flash strong), prices of the day it runs, the lecture's truth.json questions (the first
--questions). Each budget runs with a fresh memory cache, so no run is served
another's replies. Budgets are shares of the way from the cheapest plan to the best, on top of
the reserve the budget stop needs, plus half the cheapest (which must stop before any call).

    .venv/bin/python benchmarks/bench_chunk_plan.py [--minutes 10 | --lecture DIR]
        [--shares 0 0.1 0.3 0.6 1]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from halo_gemini.fake_server import FakeGemini
from lectures import long_lecture

import halo_core
from halo_core import ChunkPlan, HaloError
from halo_core.chunk_plan import render

KEY = "bench-key"


def spec_file(folder: Path, lecture: Path, questions: int) -> Path:
    truth = json.loads((lecture / "truth.json").read_text())
    spec = {
        "version": 1, "name": "plan", "inputs": [str(lecture / "lecture.mp4")],
        "extractors": [{"use": "subtitles"}, {"use": "scenedetect"}],
        "chunker": {"use": "rules", "with": {"min_duration": 20, "max_duration": 120}},
        "embedder": {"use": "hashing"}, "index": {"use": "numpy"}, "cache": {"use": "memory"},
        "llm": {"use": "gemini"},
        "tasks": {"summarize": True,
                  "ask": [q["question"] for q in truth["questions"][:questions]]},
        "outputs": str(folder / "runs"),
    }  # fmt: skip
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def mix(plan: ChunkPlan) -> str:
    counted = Counter(f"{c.setting.label()} {c.setting.model.removeprefix('gemini-')}"
                      for c in plan.chunks)  # fmt: skip
    return ", ".join(f"{n}× {k}" for k, n in sorted(counted.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=int, default=10, help="generate a lecture this long")
    parser.add_argument(
        "--lecture", type=Path, help="or a folder with lecture.mp4, lecture.srt, truth.json"
    )
    parser.add_argument("--shares", type=float, nargs="+", default=[0.0, 0.1, 0.3, 0.6, 1.0])
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--table", type=float, default=0.3, help="print the plan of this share")
    args = parser.parse_args()
    os.environ["GEMINI_API_KEY"] = KEY
    lecture = args.lecture or long_lecture(args.minutes)
    with tempfile.TemporaryDirectory(prefix="bench-plan-") as scratch, FakeGemini(
        api_key=KEY, processing_polls=0
    ) as fake:
        spec = spec_file(Path(scratch), lecture, args.questions)
        base: dict[str, Any] = {
            "llm.with.base_url": fake.base_url, "llm.with.mode": "video",
            "llm.with.context_cache": False, "llm.with.state_path": f"{scratch}/files.json",
        }  # fmt: skip

        def run(budget: float, *, estimate: bool = False) -> Any:
            return halo_core.run(spec, overrides={**base, "llm.with.max_cost_usd": budget},
                                 estimate=estimate, force=False)  # fmt: skip

        with contextlib.redirect_stdout(io.StringIO()):  # its plan is printed below
            unlimited = run(1000.0, estimate=True).inputs[0].chunk_plan
        assert unlimited is not None
        floor = unlimited.reserve_usd + unlimited.cheapest_usd
        print(f"{lecture.name}: {len(unlimited.chunks)} chunks; cheapest plan "
              f"${unlimited.cheapest_usd:.4f}, best ${unlimited.best_usd:.4f}, naive whole video "
              f"${unlimited.naive_usd or 0:.4f}; reserve for calls in flight "
              f"${unlimited.reserve_usd:.4f}; prices of {unlimited.priced_on}")  # fmt: skip
        print(f"{'budget $':>9} {'planned $':>10} {'actual $':>9} {'act/plan':>8} "
              f"{'gen calls':>9}  chunks")  # fmt: skip
        tables = []
        budgets = [floor + s * (unlimited.best_usd - unlimited.cheapest_usd) + 1e-9
                   for s in args.shares]  # fmt: skip
        for share, budget in [(None, unlimited.cheapest_usd / 2), *zip(args.shares, budgets)]:
            before = len(fake.calls("generateContent"))
            [result] = run(budget)
            calls = len(fake.calls("generateContent")) - before
            if result.error is not None:
                stopped = isinstance(result.error, HaloError) and result.error.exit_code == 3
                print(f"{budget:>9.4f} {'-':>10} {'-':>9} {'-':>8} {calls:>9}  "
                      f"{'stopped before any call (exit 3)' if stopped else result.error}")
                continue
            assert result.report is not None and result.report.plan is not None
            plan = result.report.plan
            actual = sum(m.cost_usd for m in result.report.llm.values())
            print(f"{budget:>9.4f} {plan.planned_usd:>10.4f} {actual:>9.4f} "
                  f"{actual / plan.planned_usd:>8.3f} {calls:>9}  {mix(plan)}")  # fmt: skip
            if share == args.table:
                tables.append(render(plan, actual))
        for table in tables:
            print()
            print(table)


if __name__ == "__main__":
    main()
