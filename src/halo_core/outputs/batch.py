"""batch.json: one run of a spec over many inputs at a glance — each input's status, wall time,
media seconds, throughput and LLM cost, the totals, and what the executor did."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..artifacts import atomic_write_json
from ..model import JSONValue

if TYPE_CHECKING:
    from ..components import Executor
    from ..job import Job

BATCH_FILE = "batch.json"


def batch_record(
    jobs: Sequence[Job], executor: Executor[Any], wall_s: float
) -> dict[str, JSONValue]:
    inputs: list[JSONValue] = []
    media_s = cost = 0.0
    for job in jobs:
        report = job.result.report if job.result else None
        status = ("finished" if report else "failed" if job.error else
                  "interrupted" if job.started else "not started")
        seconds = job.probed.duration if job.probed else None
        entry: dict[str, JSONValue] = {
            "input": str(job.path), "status": status,
            "run_dir": str(job.folder.path) if job.probed else None,
            "media_s": seconds, "wall_s": report.wall_s if report else None,
            "error": job.error.message if job.error else None,
            "failed_stage": job.failed_stage,
        }
        if report:
            entry["media_s_per_wall_s"] = round(report.media.duration / report.wall_s, 3) \
                if report.wall_s else None
            entry["cost_usd"] = round(sum(u.cost_usd for u in report.llm.values()), 6)
            media_s += report.media.duration
            cost += sum(u.cost_usd for u in report.llm.values())
        inputs.append(entry)
    return {
        "schema_version": 1,
        "executor": {"name": executor.name, **executor.stats()},
        "wall_s": round(wall_s, 3),
        "inputs": inputs,
        "totals": {
            "inputs": len(jobs),
            "finished": sum(1 for i in inputs if isinstance(i, dict) and
                            i["status"] == "finished"),
            "media_s": round(media_s, 3),
            "media_s_per_wall_s": round(media_s / wall_s, 3) if wall_s else None,
            "cost_usd": round(cost, 6),
        },
    }


def write_batch(folder: Path, jobs: Sequence[Job], executor: Executor[Any], wall_s: float) -> None:
    atomic_write_json(folder / BATCH_FILE, batch_record(jobs, executor, wall_s))
