from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from halo_rl import evaluate, synthetic
from halo_rl.chunker import PPOChunker
from halo_rl.env import Limits, RewardWeights
from halo_rl.train import synthetic_episodes, train

from halo_core import Media, RunContext, boundary_f1, get_registry
from halo_core.testing.cli import invoke_halo


def test_training_reports_its_stages(tiny_training):
    assert len(tiny_training.imitation_f1) == 2
    assert tiny_training.ppo_f1 is not None
    assert tiny_training.kept in ("imitation", "ppo")
    assert tiny_training.policy.meta["kept"] == tiny_training.kept


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
        [
            *("rl", "train", "--synthetic", "2", "--validation", "2", "--rounds", "1"),
            *("--ppo-steps", "0", "--out", str(out)),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "validation F1 by imitation round" in result.output
    chunker = PPOChunker.from_options({"policy": str(out)})
    assert chunker.check() == []


def _boundary_scores(chunker, seeds: range, tmp_path) -> tuple[list[float], list[float]]:
    """Boundary F1 (±5 s) and mean tokens per chunk on synthetic lectures of these seeds."""
    f1, tokens = [], []
    for seed in seeds:
        lecture = synthetic.generate(seed, minutes=6)
        media = Media(
            path=tmp_path / "synthetic.mp4",
            sha256="",
            size_bytes=0,
            duration=lecture.timeline.duration,
        )
        chunks = chunker.chunk(lecture.timeline, media, RunContext())
        f1.append(boundary_f1([c.start for c in chunks[1:]], lecture.topic_starts, 5.0)[2])
        tokens.append(sum(c.token_estimate for c in chunks) / len(chunks))
    return f1, tokens


FIXTURES = Path(__file__).parent / "fixtures"
HELD_OUT = range(4001, 4013)
"""Synthetic lectures the shipped policy never saw: training uses seeds 0-191, choosing between
its stages 1000000-1000047."""


def test_shipped_policy_beats_the_rules_on_held_out_synthetic_lectures(tmp_path):
    ppo_f1, ppo_tokens = _boundary_scores(PPOChunker.from_options({}), HELD_OUT, tmp_path)
    rules = get_registry().build("chunker", "rules")
    rules_f1, rules_tokens = _boundary_scores(rules, HELD_OUT, tmp_path)
    assert sum(ppo_f1) > sum(rules_f1), (ppo_f1, rules_f1)
    assert sum(ppo_tokens) <= sum(rules_tokens), (ppo_tokens, rules_tokens)


def test_every_cut_says_which_observations_made_it(tmp_path):
    lecture = synthetic.generate(4001, minutes=6)
    media = Media(
        path=tmp_path / "synthetic.mp4", sha256="", size_bytes=0, duration=lecture.timeline.duration
    )
    chunks = PPOChunker.from_options({}).chunk(lecture.timeline, media, RunContext())
    assert len(chunks) > 2
    for chunk in chunks[1:]:
        reasons = chunk.opened_by.reasons
        assert reasons and all(0 <= r.score <= 1 for r in reasons)
        learned = [r for r in reasons if r.detail.startswith("ppo policy")]
        assert learned, reasons
        assert sum(r.score for r in learned) == pytest.approx(1.0, abs=1e-3)
        # the strongest reason first, naming the features with their values and contributions
        assert learned == sorted(learned, key=lambda r: -r.score)
        assert "=" in learned[0].detail and "(+" in learned[0].detail


def test_training_is_reproducible():
    episodes, validation = synthetic_episodes(3, seed=300), synthetic_episodes(2, seed=400)

    def trained():
        return train(
            episodes,
            validation,
            limits=Limits(),
            weights=RewardWeights(),
            rounds=2,
            ppo_steps=0,
            seed=7,
        ).policy

    first, second = trained(), trained()
    for (w1, b1), (w2, b2) in zip(first.layers, second.layers, strict=True):
        assert np.array_equal(w1, w2) and np.array_equal(b1, b2)


def test_shipped_policy_beats_the_rules_on_a_real_timeline_it_never_saw():
    """A generated lecture run through subtitles, scenedetect and topics (not synthetic signals)."""
    run = FIXTURES / "seed902-16min"
    scores = {
        s.chunker: s
        for s in evaluate.evaluate([run], [run / "truth.json"], ["ppo", "rules"], tolerance=5.0)
    }
    assert scores["ppo"].f1 >= 0.95
    assert scores["ppo"].f1 > scores["rules"].f1
    assert scores["ppo"].tokens_per_chunk <= scores["rules"].tokens_per_chunk
