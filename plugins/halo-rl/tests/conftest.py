from __future__ import annotations

import json
from pathlib import Path

import pytest
from halo_rl import synthetic
from halo_rl.env import Limits, RewardWeights
from halo_rl.train import synthetic_episodes, train


@pytest.fixture(scope="session")
def tiny_training():
    """A policy trained in seconds (two imitation rounds and 2048 PPO steps) on a handful of
    synthetic timelines."""
    return train(
        synthetic_episodes(8, seed=100),
        synthetic_episodes(4, seed=200),
        limits=Limits(),
        weights=RewardWeights(),
        rounds=2,
        ppo_steps=2048,
        seed=0,
    )


@pytest.fixture
def run_folders(tmp_path: Path) -> tuple[list[Path], list[Path]]:
    """Run folders (timeline.json) and truth files for two held-out synthetic lectures."""
    runs, truths = [], []
    for seed in (9001, 9002):
        lecture = synthetic.generate(seed)
        run = tmp_path / "runs" / "synthetic" / f"seed{seed}"
        run.mkdir(parents=True)
        (run / "timeline.json").write_text(lecture.timeline.model_dump_json())
        truth = tmp_path / f"truth{seed}.json"
        starts = [0.0, *lecture.topic_starts]
        topics = [{"id": f"t{i}", "start": s} for i, s in enumerate(starts)]
        truth.write_text(json.dumps({"topics": topics}))
        runs.append(run)
        truths.append(truth)
    return runs, truths
