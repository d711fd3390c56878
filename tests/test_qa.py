"""Q&A end to end: `halo run` on the shipped sample with the built-in components, then questions
from its truth.json, answered in-process and through `halo ask` / `halo chat` in new processes."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from halo_core.errors import HaloError
from halo_core.qa import Session, load_session, open_qa

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "lecture"
TRUTH = json.loads((SAMPLE / "truth.json").read_text())
SPAN = re.compile(r"\[\d\d:\d\d\u2013\d\d:\d\d\]")

SPEC = """\
version: 1
name: lecture
inputs: [{media}]
extractors:
  - use: subtitles
chunker: {{use: rules, with: {{min_duration: 20, max_duration: 120}}}}
embedder: {{use: {embedder}}}
index: {{use: {index}}}
cache: {{use: sqlite, with: {{path: .halo/cache.db}}}}
llm: {{use: extractive}}
tasks:
  summarize: true
  ask: ["What are the main topics?"]
outputs: runs
"""


def halo(
    *args: str, cwd: Path, plugins: str = "", stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HALO_LOAD_PLUGINS": plugins, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "halo_core.cli", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def make_run(
    folder: Path, embedder: str = "hashing", index: str = "numpy", plugins: str = ""
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    # the sample and its subtitles, not its sidecar questions: these tests ask their own
    for name in ("lecture.mp4", "lecture.srt"):
        shutil.copy(SAMPLE / name, folder / name)
    (folder / "spec.yaml").write_text(
        SPEC.format(media=folder / "lecture.mp4", embedder=embedder, index=index)
    )
    done = halo("-q", "run", "spec.yaml", cwd=folder, plugins=plugins)
    assert done.returncode == 0, done.stderr
    return folder / "runs" / "lecture" / "lecture"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run(tmp_path_factory.mktemp("qa"))


def overlaps(citation, evidence: list[dict[str, float]]) -> bool:
    return any(citation.start < e["end"] and e["start"] < citation.end for e in evidence)


def test_truth_questions_are_answered_from_the_evidence_with_citations(run_dir: Path) -> None:
    qa = open_qa(run_dir)
    try:
        answers = [(q, qa.ask(q["question"])) for q in TRUTH["questions"]]
    finally:
        qa.close()
    cited = [any(overlaps(c, q["evidence"]) for c in a.citations[:3]) for q, a in answers]
    assert sum(cited) / len(cited) >= 0.9, [
        q["question"] for (q, _), ok in zip(answers, cited) if not ok
    ]
    correct = [
        any(t.lower() in a.answer.lower() for t in [q["answer"], *q["aliases"]]) for q, a in answers
    ]
    assert sum(correct) / len(correct) >= 0.75, [a.answer for a in (a for _, a in answers)]
    for _, answer in answers:
        assert SPAN.search(answer.answer), answer.answer
        assert 0 < answer.usage.input_tokens < answer.naive_input_tokens
        assert answer.cache_tier is None
    # a 2.5-minute sample: the whole transcript is small, and still most of it is not sent
    assert sum(a.usage.input_tokens for _, a in answers) < 0.6 * sum(
        a.naive_input_tokens for _, a in answers
    )


def test_the_runs_own_questions_went_into_answers_json(run_dir: Path) -> None:
    answers = json.loads((run_dir / "answers.json").read_text())
    assert [a["question"] for a in answers] == ["What are the main topics?"]
    assert answers[0]["citations"] and SPAN.search(answers[0]["answer"])
    report = json.loads((run_dir / "report.json").read_text())
    assert set(report["cache"]) >= {"l1", "l2", "l3"} and report["cache"]["l3"]["entries"] > 0


def test_broad_questions_use_summaries_kept_in_l3(run_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"  # a run made with `summarize: false`: no summaries.json
    shutil.copytree(run_dir, run)
    (run / "summaries.json").unlink()
    record = json.loads((run / "run.json").read_text())
    record["spec"]["cache"] = {"use": "sqlite", "with": {"path": str(tmp_path / "cache.db")}}
    (run / "run.json").write_text(json.dumps(record))
    chunks = json.loads((run / "chunks.json").read_text())["chunks"]
    first = open_qa(run)
    try:
        topics = first.ask("What are the main topics?")
        made = first.gateway.usage_by_model["extractive-1"].requests
    finally:
        first.close()
    assert made == len(chunks) + 1  # one summary per chunk, then the answer
    assert len(topics.citations) == len(chunks) and topics.cache_tier is None
    second = open_qa(run)  # a new process: the chunk summaries come from L3
    try:
        overview = second.ask("Give me an overview of the lecture.")
        assert overview.cache_tier == "l3"
        assert second.gateway.usage_by_model["extractive-1"].requests == 1
    finally:
        second.close()


def test_a_follow_up_is_read_with_the_conversation(run_dir: Path) -> None:
    qa = open_qa(run_dir)
    try:
        printing = Session(name="printing")
        qa.ask("Where did Gutenberg develop his printing system?", printing)
        follow_up = qa.ask("And when did that happen?", printing)
        dna = Session(name="dna")
        qa.ask("Which enzyme unwinds the DNA double helix?", dna)
        other = qa.ask("And when did that happen?", dna)
    finally:
        qa.close()
    assert "1450" in follow_up.answer, follow_up.answer
    assert any(c.start >= 98.6 for c in follow_up.citations)  # the printing-press topic
    # the same words in another conversation are another question: no cache, other evidence
    assert other.cache_tier is None and "1450" not in other.answer
    assert printing.turns[1].retrieval_query != printing.turns[1].question


def test_halo_ask_works_in_a_new_process_and_remembers_its_session(
    run_dir: Path, tmp_path: Path
) -> None:
    question = "Which city was Gutenberg working in?"
    first = halo("ask", str(run_dir), question, "--json", "--session", "s1", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert set(data) >= {"answer", "citations", "usage", "cache_tier", "naive_input_tokens"}
    assert "Mainz" in data["answer"] and data["cache_tier"] is None
    assert data["citations"][0].keys() == {"chunk_id", "start", "end", "slide"}
    assert data["usage"]["input_tokens"] < data["naive_input_tokens"]
    again = json.loads(halo("ask", str(run_dir), question, "--json", cwd=tmp_path).stdout)
    assert again["cache_tier"] == "l1" and again["usage"]["input_tokens"] == 0
    follow_up = halo(
        "ask", str(run_dir), "and when did that happen?", "--session", "s1", cwd=tmp_path
    )
    assert follow_up.returncode == 0 and "1450" in follow_up.stdout, follow_up.stdout
    assert len(load_session(run_dir, "s1").turns) == 2


def test_a_repeated_question_is_answered_from_l1_before_anything_is_embedded(
    run_dir: Path, tmp_path: Path
) -> None:
    question = "What did Gutenberg combine with movable metal type?"
    first = json.loads(halo("ask", str(run_dir), question, "--json", cwd=tmp_path).stdout)
    assert first["cache_tier"] is None and first["embedded_texts"] >= 1
    again = json.loads(halo("ask", str(run_dir), f"  {question} ", "--json", cwd=tmp_path).stdout)
    # served by the exact answer cache: no embedder call, no index read, same answer and sources
    assert again["cache_tier"] == "l1" and again["embedded_texts"] == 0
    assert (again["answer"], again["citations"]) == (first["answer"], first["citations"])
    # the same follow-up words in another conversation are another question
    for session, before in (("l1-a", "Who invented printing?"), ("l1-b", "Who was Bi Sheng?")):
        halo("ask", str(run_dir), before, "--session", session, cwd=tmp_path)
        follow = halo(
            "ask", str(run_dir), "and when?", "--json", "--session", session, cwd=tmp_path
        )
        assert json.loads(follow.stdout)["cache_tier"] is None


def test_halo_chat_reads_questions_from_stdin(run_dir: Path, tmp_path: Path) -> None:
    lines = "Who made the first known movable type from ceramic?\n\nAnd when was that?\nexit\n"
    done = halo("chat", str(run_dir), "--session", "chat-test", cwd=tmp_path, stdin=lines)
    assert done.returncode == 0, done.stderr
    answers = [line for line in done.stdout.splitlines() if SPAN.search(line)]
    assert len(answers) == 2 and "Bi Sheng" in answers[0]
    assert [t.question for t in load_session(run_dir, "chat-test").turns] == [
        "Who made the first known movable type from ceramic?",
        "And when was that?",
    ]


def test_cache_stats_and_clear(run_dir: Path, tmp_path: Path) -> None:
    halo("ask", str(run_dir), "Which base pairs with adenine in DNA?", cwd=tmp_path)
    stats = json.loads(halo("cache", "stats", str(run_dir), "--json", cwd=tmp_path).stdout)
    assert stats["l1"]["entries"] > 0 and stats["l1"]["misses"] > 0 and stats["l3"]["entries"] > 0
    cleared = halo("cache", "clear", str(run_dir), "--tier", "l2", cwd=tmp_path)
    assert cleared.returncode == 0 and "removed" in cleared.stdout
    after = json.loads(halo("cache", "stats", str(run_dir), "--json", cwd=tmp_path).stdout)
    assert after["l2"]["entries"] == 0 and after["l1"]["entries"] == stats["l1"]["entries"]
    assert halo("cache", "stats", cwd=tmp_path).returncode == 2  # neither a run nor --spec


# --- bad input ---------------------------------------------------------------------------------


def test_bad_input_gets_a_clear_message_and_exit_2(run_dir: Path, tmp_path: Path) -> None:
    missing = halo("ask", str(tmp_path / "nope"), "What?", cwd=tmp_path)
    assert missing.returncode == 2 and "no such run folder" in missing.stderr
    not_a_run = halo("ask", str(tmp_path), "What?", cwd=tmp_path)
    assert not_a_run.returncode == 2 and "run.json is missing" in not_a_run.stderr
    empty = halo("ask", str(run_dir), "   ", cwd=tmp_path)
    assert empty.returncode == 2 and "the question is empty" in empty.stderr
    with pytest.raises(HaloError, match="bad session name"):
        load_session(run_dir, "../escape")


def test_a_corrupted_session_is_reported_and_left_untouched(run_dir: Path, tmp_path: Path) -> None:
    path = run_dir / "sessions" / "broken.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text("{not json")
    done = halo(
        "ask", str(run_dir), "Which base pairs with adenine?", "--session", "broken", cwd=tmp_path
    )
    assert done.returncode == 2 and "session 'broken' cannot be read" in done.stderr
    assert path.read_text() == "{not json"


def test_an_unreachable_redis_cache_is_a_clear_error(run_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    record = json.loads((copy / "run.json").read_text())
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    record["spec"]["cache"] = {
        "use": "redis",
        "with": {"url": f"redis://127.0.0.1:{port}/0", "socket_timeout": 0.5},
    }
    (copy / "run.json").write_text(json.dumps(record))
    done = halo(
        "ask", str(copy), "Which base pairs with adenine?", cwd=tmp_path, plugins="halo-redis"
    )
    assert done.returncode == 2 and "cannot reach the redis server" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


# --- L2 through halo ask, with the embedder pipelines/lecture.yaml uses ------------------------


def test_a_paraphrase_is_answered_from_l2_in_a_new_process(run_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"  # the same run, asked with the sentence-transformers embedder
    shutil.copytree(run_dir, run)
    record = json.loads((run / "run.json").read_text())
    record["spec"]["embedder"] = {"use": "sentence-transformers"}
    record["spec"]["cache"] = {"use": "sqlite", "with": {"path": str(tmp_path / "cache.db")}}
    (run / "run.json").write_text(json.dumps(record))
    q = TRUTH["questions"][3]  # helicase
    first = halo("ask", str(run), q["question"], "--json", cwd=tmp_path, plugins="halo-semantic")
    assert first.returncode == 0, first.stderr
    assert "helicase" in json.loads(first.stdout)["answer"]
    # a new process: the paraphrase hits L2, another question about the same video does not
    lines = f"{q['paraphrases'][1]}\n{TRUTH['questions'][5]['question']}\n"
    chat = halo("chat", str(run), "--json", cwd=tmp_path, plugins="halo-semantic", stdin=lines)
    assert chat.returncode == 0, chat.stderr
    paraphrase, other = _json_objects(chat.stdout)
    assert paraphrase["cache_tier"] == "l2" and paraphrase["usage"]["input_tokens"] == 0
    assert "helicase" in paraphrase["answer"]
    assert other["cache_tier"] is None and "thymine" in other["answer"]


def _json_objects(text: str) -> list[dict]:
    decoder = json.JSONDecoder()
    objects, position = [], 0
    while (start := text.find("{", position)) != -1:
        value, position = decoder.raw_decode(text, start)
        objects.append(value)
    return objects
