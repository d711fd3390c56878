"""The numpy path of small requests computes what sentence-transformers computes, and `halo ask`
in a new process — the first question after a run as well as a later one — embeds only the
question, through it, without importing torch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from halo_semantic import SentenceTransformersEmbedder, numpy_bert
from halo_semantic.embedder import (
    SMALL_REQUEST_CHARS,
    bundled_model_path,
    load_model,
    load_numpy_model,
)

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "lecture"


def srt_cues(path: Path) -> list[str]:
    blocks = path.read_text(encoding="utf-8").strip().split("\n\n")
    return [" ".join(block.splitlines()[2:]) for block in blocks]


@pytest.fixture(scope="module")
def texts(truth: dict[str, Any]) -> list[str]:
    """Real texts of every length: the sample's questions, paraphrases, answers, subtitle cues,
    windows of cues up to past the model's 256-token limit, and edge cases."""
    questions = [
        t for q in truth["questions"] for t in [q["question"], *q["paraphrases"], q["answer"]]
    ]
    cues = srt_cues(SAMPLE / "lecture.srt")
    windows = [" ".join(cues[i : i + n]) for n in (3, 12, 40) for i in range(0, len(cues), n)]
    edge = ["", "   spaced out   ", "Ünïcödé façade — 東京 😀", "word " * 600, "?"]
    return questions + cues + windows + edge


def torch_vectors(texts: list[str], batch_size: int = 64) -> np.ndarray:
    model = load_model("bundled", "cpu", False)
    return np.asarray(
        model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        ),
        dtype=np.float32,
    )


def test_the_bundled_model_has_the_shape_numpy_computes() -> None:
    assert numpy_bert.supported(bundled_model_path())
    assert numpy_bert.hidden_size(bundled_model_path()) == 384


def test_numpy_vectors_equal_sentence_transformers(texts: list[str]) -> None:
    fast = load_numpy_model(bundled_model_path()).encode(texts, 64)
    reference = torch_vectors(texts)
    assert fast.dtype == np.float32 and fast.shape == reference.shape == (len(texts), 384)
    assert np.abs(fast - reference).max() < 1e-5
    # one at a time (how a question is embedded) as well as batched with padding
    alone = np.vstack([load_numpy_model(bundled_model_path()).encode([t], 64) for t in texts[:40]])
    assert np.abs(alone - reference[:40]).max() < 1e-5


def test_questions_rank_the_lecture_the_same_either_way(truth: dict[str, Any]) -> None:
    cues = srt_cues(SAMPLE / "lecture.srt")
    chunks = torch_vectors([" ".join(cues[i : i + 3]) for i in range(len(cues))])
    questions = [t for q in truth["questions"] for t in [q["question"], *q["paraphrases"]]]
    fast = load_numpy_model(bundled_model_path()).encode(questions, 64) @ chunks.T
    reference = torch_vectors(questions) @ chunks.T
    for row in range(len(questions)):
        assert list(np.argsort(-fast[row])[:5]) == list(np.argsort(-reference[row])[:5])


def test_small_requests_take_the_numpy_path_and_bulk_ones_sentence_transformers(
    embedder: SentenceTransformersEmbedder,
) -> None:
    question = "What are the especially large tides at new moon and full moon called?"
    np.testing.assert_array_equal(
        embedder.embed([question]), load_numpy_model(bundled_model_path()).encode([question], 64)
    )
    bulk = [question] * (SMALL_REQUEST_CHARS // len(question) + 1)
    np.testing.assert_array_equal(embedder.embed(bulk), torch_vectors(bulk))


def test_other_model_shapes_are_left_to_sentence_transformers(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(bundled_model_path(), folder)
    assert numpy_bert.supported(folder)
    pooling = folder / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    pooling.write_text(json.dumps({**config, "pooling_mode_cls_token": True}))
    assert not numpy_bert.supported(folder)
    (folder / "model.safetensors").unlink()
    shutil.rmtree(folder / "1_Pooling")
    assert not numpy_bert.supported(folder)
    assert not numpy_bert.supported(tmp_path / "missing")


def halo(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HALO_LOAD_PLUGINS": "halo-semantic", "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


SPEC = """\
version: 1
name: lecture
inputs: [{media}]
extractors: [{{use: subtitles}}]
chunker: {{use: rules, with: {{min_duration: 20, max_duration: 120}}}}
embedder: {{use: sentence-transformers}}
index: {{use: numpy}}
cache: {{use: sqlite, with: {{path: cache.db}}}}
llm: {{use: extractive}}
tasks: {{summarize: true, ask: ["What are the main topics?"]}}
outputs: runs
"""
# `halo ask` in this process, then whether torch was imported, on stderr after the answer.
ASK_AND_REPORT = """
import sys
from halo_core.cli import main
try:
    main(sys.argv[1:])
finally:
    print("TORCH-IMPORTED" if "torch" in sys.modules else "NO-TORCH", file=sys.stderr)
"""


def test_the_first_question_after_a_run_embeds_only_itself_and_imports_no_torch(
    tmp_path: Path, truth: dict[str, Any]
) -> None:
    # the media and its subtitles without lecture.questions.yaml: the run asks only a broad
    # question (answered from the summaries), so its own `qa` stage alone embeds the passages
    for name in ("lecture.mp4", "lecture.srt"):
        shutil.copy(SAMPLE / name, tmp_path / name)
    (tmp_path / "spec.yaml").write_text(SPEC.format(media="lecture.mp4"))
    done = halo("-m", "halo_core.cli", "-q", "run", "spec.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run = tmp_path / "runs" / "lecture" / "lecture"
    for q in truth["questions"][0], truth["questions"][5]:  # the first question, then a later one
        asked = halo("-c", ASK_AND_REPORT, "ask", str(run), q["question"], "--json", cwd=tmp_path)
        assert asked.returncode == 0, asked.stderr
        answer = json.loads(asked.stdout)
        assert answer["cache_tier"] is None and answer["embedded_texts"] == 1, answer
        assert q["answer"] in answer["answer"]
        assert asked.stderr.strip().endswith("NO-TORCH"), asked.stderr
    # a rerun reuses the stage, and what it made still serves a fresh question alone
    again = halo("-m", "halo_core.cli", "-q", "run", "spec.yaml", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    report = json.loads((run / "report.json").read_text())
    assert {s["stage"]: s["reused"] for s in report["stages"]}["qa"] is True
    q = truth["questions"][3]
    asked = halo("-m", "halo_core.cli", "ask", str(run), q["question"], "--json", cwd=tmp_path)
    assert json.loads(asked.stdout)["embedded_texts"] == 1, asked.stderr
