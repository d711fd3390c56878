from __future__ import annotations

import json

from halo_rl import synthetic
from halo_rl.chunker import PPOChunker

from halo_core import Media, RunContext, boundary_f1, get_registry
from halo_core.testing.cli import invoke_halo


def test_training_raises_the_reward(tiny_training):
    assert tiny_training.reward_after > tiny_training.reward_before + 1.0


def test_trained_policy_beats_fixed_windows_on_a_held_out_timeline(tmp_path, tiny_training):
    policy_file = tmp_path / "tiny.npz"
    tiny_training.policy.save(policy_file)
    f1 = {"ppo": [], "fixed": []}
    for seed in (5001, 5002, 5003):
        lecture = synthetic.generate(seed)
        media = Media(
            path=tmp_path / "synthetic.mp4",
            sha256="",
            size_bytes=0,
            duration=lecture.timeline.duration,
        )
        chunkers = {
            "ppo": PPOChunker.from_options({"policy": str(policy_file)}),
            "fixed": get_registry().build("chunker", "fixed"),
        }
        for name, chunker in chunkers.items():
            chunks = chunker.chunk(lecture.timeline, media, RunContext())
            f1[name].append(
                boundary_f1([c.start for c in chunks[1:]], lecture.topic_starts, 5.0)[2]
            )
    assert sum(f1["ppo"]) > sum(f1["fixed"]), f1


def test_halo_rl_eval_prints_a_table_and_writes_a_plot(tmp_path, run_folders):
    runs, truths = run_folders
    plot = tmp_path / "eval.svg"
    args = ["rl", "eval", *map(str, runs), "--plot", str(plot), "--json"]
    for truth in truths:
        args += ["--truth", str(truth)]
    result = invoke_halo(args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert {s["chunker"] for s in scores} == {"ppo", "rules", "fixed"}
    assert len(scores) == 3 * len(runs)
    assert all(0 <= s["f1"] <= 1 and s["chunks"] >= 1 for s in scores)
    assert plot.read_text().startswith("<svg")


def test_halo_rl_eval_rejects_mismatched_truths(run_folders):
    runs, truths = run_folders
    result = invoke_halo(["rl", "eval", *map(str, runs), "--truth", str(truths[0])])
    assert result.exit_code == 2
    assert "one --truth per run folder" in result.output


def test_halo_rl_train_writes_a_loadable_policy(tmp_path):
    out = tmp_path / "p.npz"
    result = invoke_halo(
        ["rl", "train", "--synthetic", "2", "--steps", "2048", "--out", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "mean episode reward" in result.output
    chunker = PPOChunker.from_options({"policy": str(out)})
    assert chunker.check() == []
