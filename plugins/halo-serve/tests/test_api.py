"""The JSON API, media, token, traversal, escaping and headers, against a real `halo serve`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ENV, HALO, SECRET, copy_run, http


def _json(base: str, path: str, body: object = None) -> tuple[int, object]:
    status, _, raw = http(base, path, "POST" if body is not None else "GET", body)
    return status, json.loads(raw)


def test_videos_lists_each_run_with_its_facts(runs: Path, base: str) -> None:
    status, videos = _json(base, "/api/videos")
    assert status == 200
    assert [v["id"] for v in videos] == ["clips--talk", "clips--tone"]
    talk, tone = videos
    assert talk["status"] == "finished" and talk["url"] == "/v/clips--talk"
    assert talk["duration"] == pytest.approx(24.0, abs=0.2)
    assert talk["speakers"] == ["Alice", "Bob"]
    assert talk["chunk_count"] == len(
        json.loads((runs / "clips" / "talk" / "chunks.json").read_text())["chunks"]
    )
    assert talk["cost_usd"] == 0.0  # the extractive LLM is free
    assert talk["media"] == {
        "url": "/media/clips--talk", "kind": "video", "type": "video/mp4", "name": "talk.mp4"
    }  # fmt: skip
    assert tone["media"]["kind"] == "audio" and tone["media"]["type"] == "audio/mp4"
    assert all(s["done"] for s in talk["stages"])


def test_a_run_folder_alone_is_a_library_of_one(runs: Path, serve) -> None:
    base = serve(runs / "clips" / "tone")
    status, videos = _json(base, "/api/videos")
    assert [v["id"] for v in videos] == ["tone"]
    status, answer = _json(base, "/api/ask", {"question": "Where did Gutenberg build his press?"})
    assert status == 200, answer
    assert answer["video"] == "tone" and "Mainz" in answer["answer"]


def test_video_detail_carries_the_run_files(runs: Path, serve) -> None:
    base = serve(runs / "clips")
    status, detail = _json(base, "/api/videos/talk")
    assert status == 200
    folder = runs / "clips" / "talk"
    assert detail["chunks"] == json.loads((folder / "chunks.json").read_text())["chunks"]
    assert detail["summaries"] == json.loads((folder / "summaries.json").read_text())
    assert detail["timeline"] == json.loads((folder / "timeline.json").read_text())
    assert detail["answers"] == json.loads((folder / "answers.json").read_text())
    assert _json(base, "/api/videos/nope")[0] == 404


def test_ask_is_the_halo_ask_json_object(runs: Path, base: str) -> None:
    folder = runs / "clips" / "talk"
    question = "What does polymerase copy?"
    cli = subprocess.run(
        [*HALO, "ask", str(folder), question, "--json"],
        env=ENV, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    expected = json.loads(cli.stdout)
    status, answer = _json(base, "/api/ask", {"question": question, "video": "clips--talk"})
    assert status == 200
    assert set(answer) == set(expected) | {"video"}
    for key in ("question", "answer", "citations", "naive_input_tokens", "session"):
        assert answer[key] == expected[key], key
    assert "polymerase" in answer["answer"].lower()
    assert answer["citations"] and all(c["start"] < c["end"] for c in answer["citations"])


def test_a_session_keeps_the_conversation(runs: Path, base: str) -> None:
    for question in ("Which enzyme unwinds the double helix?", "And what copies the strands?"):
        body = {"question": question, "video": "clips--talk", "session": "api-test"}
        status, answer = _json(base, "/api/ask", body)
        assert status == 200 and answer["session"] == "api-test"
    saved = json.loads((runs / "clips" / "talk" / "sessions" / "api-test.json").read_text())
    assert [t["question"] for t in saved["turns"]] == [
        "Which enzyme unwinds the double helix?",
        "And what copies the strands?",
    ]


def test_search_asks_every_finished_video(runs: Path, base: str) -> None:
    status, found = _json(base, "/api/search", {"question": "Where was the printing press built?"})
    assert status == 200
    assert [a["video"] for a in found["answers"]] == ["clips--tone", "clips--talk"]  # best first
    best, other = found["answers"]
    assert "Mainz" in best["answer"] and best["match"] > other["match"] >= 0


@pytest.mark.parametrize(
    ("body", "headers", "status", "says"),
    [
        ({"question": "  ", "video": "clips--talk"}, {}, 400, "empty"),
        ({"question": "x?", "video": "clips--talk", "session": "../up"}, {}, 400, "session"),
        ({"question": "x?", "video": "nope"}, {}, 404, "nope"),
        ({"question": "x?"}, {}, 400, "name the video"),
        ({"question": 3, "video": "clips--talk"}, {}, 400, "string"),
        (b"question=x", {"Content-Type": "application/x-www-form-urlencoded"}, 400, "JSON"),
        (b"[1]", {"Content-Type": "application/json"}, 400, "object"),
        (b"{", {"Content-Type": "application/json"}, 400, "not JSON"),
        ({"question": "x" * 20000, "video": "clips--talk"}, {}, 400, "larger"),
    ],
)
def test_bad_questions_are_refused_with_the_reason(
    runs: Path, base: str, body: object, headers: dict[str, str], status: int, says: str
) -> None:
    got, _, raw = http(base, "/api/ask", "POST", body, headers)
    assert got == status
    assert says in json.loads(raw)["error"]


def test_runs_in_progress_and_new_runs_show_up_without_a_restart(
    runs: Path, serve, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    library.mkdir()
    base = serve(library)
    assert _json(base, "/api/videos") == (200, [])
    source, target = runs / "clips" / "talk", library / "spec" / "talk"
    copy_run(source, target, ["timeline.json"])  # the extractors are done
    _, [video] = _json(base, "/api/videos")
    assert video["status"] == "running"
    assert [(s["stage"], s["done"]) for s in video["stages"]][:2] == [
        ("extract", True),
        ("chunk", False),
    ]
    status, _, page = http(base, "/")
    assert b"in progress" in page
    status, answer = _json(base, "/api/ask", {"question": "What is it about?"})
    assert status == 409
    copy_run(source, target, ["chunks.json", "run.json", "index/stage.json", "summaries.json"])
    copy_run(source, target, ["answers.json"])
    _, [video] = _json(base, "/api/videos")
    done = {s["stage"]: s["done"] for s in video["stages"]}
    assert done == {
        "extract": True, "chunk": True, "index": True, "summarize": True, "ask": True,
        "notes": False, "report": False,
    }  # fmt: skip
    assert video["media"]["url"] == "/media/spec--talk"
    copy_run(source, target, ["notes.md", "report.json"])
    _, [video] = _json(base, "/api/videos")
    assert video["status"] == "finished"


def test_a_run_that_stopped_says_where_and_why(stopped: Path, serve) -> None:
    base = serve(stopped.parent)
    _, [video] = _json(base, "/api/videos")
    assert video["status"] == "failed"
    assert video["failure"]["stage"] == "transcript"
    assert "no subtitles" in video["failure"]["error"]
    assert video["media"]["kind"] == "audio"  # run.json names the input from the start
    page = http(base, "/v/nocaps")[2].decode()
    assert "Stopped at stage transcript:" in page and "no subtitles" in page
    assert "stopped" in http(base, "/")[2].decode()
    assert _json(base, "/api/ask", {"question": "Why?"})[0] == 409


def test_media_is_served_with_ranges(runs: Path, base: str) -> None:
    data = (runs.parent / "media" / "talk.mp4").read_bytes()
    status, headers, body = http(base, "/media/clips--talk")
    assert status == 200 and body == data and headers["accept-ranges"] == "bytes"
    assert headers["content-type"] == "video/mp4"
    status, headers, body = http(base, "/media/clips--talk", headers={"Range": "bytes=100-199"})
    assert status == 206 and body == data[100:200]
    assert headers["content-range"] == f"bytes 100-199/{len(data)}"
    status, _, body = http(base, "/media/clips--talk", headers={"Range": "bytes=-50"})
    assert status == 206 and body == data[-50:]
    status, headers, _ = http(base, "/media/clips--talk", headers={"Range": f"bytes={len(data)}-"})
    assert status == 416 and headers["content-range"] == f"bytes */{len(data)}"


@pytest.mark.parametrize(
    "path",
    [
        "/media/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/media/../../../../etc/passwd",
        "/media/%2Fetc%2Fpasswd",
        "/media/clips--talk/../../clips.yaml",
        "/media/clips",
        "/media/clips--talk%2F..%2Frun.json",
        "/static/../loader.py",
        "/static/..%2Floader.py",
        "/static/%2E%2E/app.py",
        "/v/..%2F..%2Fclips.yaml",
        "/api/videos/..%2Fclips--talk",
    ],
)
def test_no_path_reaches_the_file_system(runs: Path, base: str, path: str) -> None:
    status, _, body = http(base, path)
    assert status == 404
    assert b"root:" not in body and b"import" not in body and b"extractors" not in body


def test_media_the_run_no_longer_has_is_not_found(runs: Path, serve, tmp_path: Path) -> None:
    copied = tmp_path / "runs" / "talk"
    shutil.copytree(runs / "clips" / "talk", copied)
    record = json.loads((copied / "run.json").read_text())
    record["media"]["path"] = str(tmp_path / "gone.mp4")
    (copied / "run.json").write_text(json.dumps(record))
    report = json.loads((copied / "report.json").read_text())
    report["media"]["path"] = str(tmp_path / "gone.mp4")
    (copied / "report.json").write_text(json.dumps(report))
    base = serve(tmp_path / "runs")
    assert http(base, "/media/talk")[0] == 404
    page = http(base, "/v/talk")[2].decode()
    assert "<video" not in page and "file has moved" in page
    assert json.loads(http(base, "/api/videos")[2])[0]["media"] is None


def test_markup_in_captions_slides_and_answers_is_text(runs: Path, serve, tmp_path: Path) -> None:
    copied = tmp_path / "runs" / "talk"
    shutil.copytree(runs / "clips" / "talk", copied)
    timeline = json.loads((copied / "timeline.json").read_text())
    timeline["tracks"]["slides"] = [
        {"kind": "slide_text", "start": 0.0, "end": 12.0, "text": "<img src=x onerror=alert(1)>"},
        {
            "kind": "slide_text", "start": 12.0, "end": 24.0, "text": "<i>DNA</i>\nhelicase & co",
            "heading": "<i>DNA</i>",
            "lines": [
                {"text": "<i>DNA</i>", "box": [0.1, 0.1, 0.9, 0.2], "confidence": 0.9,
                 "role": "heading"},
                {"text": "helicase & co", "box": [0.1, 0.3, 0.9, 0.4], "confidence": 0.9},
            ],
        },
    ]  # fmt: skip
    (copied / "timeline.json").write_text(json.dumps(timeline))
    base = serve(tmp_path / "runs")
    status, headers, raw = http(base, "/v/talk")
    page = raw.decode()
    assert status == 200
    assert "&lt;script&gt;alert(&#34;caption&#34;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert '<b class="slide-heading">&lt;i&gt;DNA&lt;/i&gt;</b>' in page
    assert "<pre>helicase &amp; co</pre>" in page
    assert "<img" not in page and "<i>" not in page
    assert page.count("<script") == page.count('<script src="/static/') == 2
    # an answer that quotes the caption is JSON text; the page draws it with textContent
    status, answer = _json(base, "/api/ask", {"question": "What is only text in a caption?"})
    assert status == 200 and "<script>" in answer["answer"]


def test_every_response_has_the_security_headers(runs: Path, base: str) -> None:
    for path in ("/", "/v/clips--talk", "/api/videos", "/media/clips--talk", "/nope"):
        _, headers, _ = http(base, path)
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp, path
        assert "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"


def test_no_secret_reaches_a_page(runs: Path, base: str) -> None:
    bodies = [
        http(base, path)[2]
        for path in ("/", "/v/clips--talk", "/api/videos", "/api/videos/clips--talk")
    ]
    bodies.append(http(base, "/api/ask", "POST", {"question": "Hi?", "video": "clips--talk"})[2])
    assert (runs.parent / "cache" / f"{SECRET}.db").is_file()  # the run did use the secret
    for body in bodies:
        assert SECRET.encode() not in body
        assert b"SERVE_SECRET" not in body


def test_only_loopback_host_names_are_answered_without_a_token(runs: Path, base: str) -> None:
    port = base.rsplit(":", 1)[1]
    assert http(base, "/", headers={"Host": "evil.example"})[0] == 400
    assert http(base, "/", headers={"Host": f"rebound.example:{port}"})[0] == 400
    assert http(base, "/", headers={"Host": f"localhost:{port}"})[0] == 200


def test_websockets_are_refused(base: str) -> None:
    upgrade = {
        "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }  # fmt: skip
    assert http(base, "/", headers=upgrade)[0] == 403


TOKEN = "t0k3n-for-the-serve-tests"


def test_a_token_guards_every_request(runs: Path, serve) -> None:
    base = serve(runs, "--token", TOKEN)
    for path in ("/", "/api/videos", "/media/clips--talk", "/static/halo.css", "/v/clips--talk"):
        assert http(base, path)[0] == 401, path
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert http(base, "/api/videos", headers=bearer)[0] == 200
    assert http(base, "/api/videos", headers={"Authorization": "Bearer wrong"})[0] == 401
    assert http(base, "/?token=wrong")[0] == 401
    status, headers, _ = http(base, f"/v/clips--talk?token={TOKEN}")
    assert status == 303 and headers["location"] == "/v/clips--talk"
    cookie = headers["set-cookie"].split(";")[0]
    assert "HttpOnly" in headers["set-cookie"] and "SameSite=Strict" in headers["set-cookie"]
    with_cookie = {"Cookie": cookie, "Range": "bytes=0-9"}
    assert http(base, "/media/clips--talk", headers=with_cookie)[0] == 206
    assert http(base, "/api/videos", headers={"Cookie": "halo_token=wrong"})[0] == 401


def test_the_token_can_come_from_the_environment(runs: Path, serve) -> None:
    base = serve(runs, env={**ENV, "HALO_SERVE_TOKEN": TOKEN})
    assert http(base, "/api/videos")[0] == 401
    assert http(base, "/api/videos", headers={"Authorization": f"Bearer {TOKEN}"})[0] == 200


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--host", "0.0.0.0"], "without a token"),
        (["--token", "short"], "too short"),
        (["--token", "has spaces in it, sixteen+"], "too short or has characters"),
    ],
)
def test_unsafe_settings_are_refused(runs: Path, args: list[str], says: str) -> None:
    done = subprocess.run(
        [*HALO, "serve", str(runs), "--port", "0", *args],
        env=ENV, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert says in done.stderr and "fix:" in done.stderr
