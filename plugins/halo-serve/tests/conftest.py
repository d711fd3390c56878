"""Fixtures for halo-serve's tests: real run folders, a real `halo serve`, a real Chromium.

- `runs`: a folder of two finished run folders, made once per session by `halo run` (built-in
  components only: captions, rules chunker, hashing embedder, extractive LLM) on two short clips
  ffmpeg makes: `talk` (video, WebVTT captions with two voices and a caption that is markup) and
  `tone` (audio only, SRT captions). The spec's cache path carries a secret (`SERVE_SECRET`),
  which must never reach a page.
- `serve(path, *args)`: starts `halo serve PATH --port 0 ...` on 127.0.0.1, returns its base URL
  (read from the line it prints once listening); every server is stopped by its PID at the end.
  `base`: the base URL of one such server over `runs`, shared by a module.
- `stopped`: a run folder of a run whose captions extractor failed (no captions beside the input).
- `http(...)`: one HTTP request with http.client, returning (status, headers, body).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

SECRET = "sk-serve-test-4f1c9a7b2e"
HALO = [sys.executable, "-m", "halo_core.cli"]
ENV = {**os.environ, "HALO_LOAD_PLUGINS": "halo-serve", "SERVE_SECRET": SECRET}

TALK_VTT = """WEBVTT

00:00:00.500 --> 00:00:04.000
<v Alice>Welcome to this short lecture about ocean tides and the moon.

00:00:04.500 --> 00:00:08.000
<v Alice>The moon pulls the water of the oceans toward it, so the tides rise.

00:00:08.500 --> 00:00:12.000
<v Bob>&lt;script&gt;alert("caption")&lt;/script&gt; is only text in a caption.

00:00:12.500 --> 00:00:16.000
<v Alice>Our second topic is DNA. The enzyme helicase unwinds the double helix.

00:00:16.500 --> 00:00:20.000
<v Alice>Then polymerase copies each strand of the DNA molecule.

00:00:20.500 --> 00:00:23.500
<v Bob>That is all for today, thank you for listening.
"""

TONE_SRT = """1
00:00:00,500 --> 00:00:05,000
Gutenberg built his printing press in the city of Mainz.

2
00:00:06,000 --> 00:00:11,000
Movable metal type made printed books cheap and common.

3
00:00:12,000 --> 00:00:15,500
Ideas then spread across Europe much faster than before.
"""

SPEC = """version: 1
name: clips
inputs: [media/talk.mp4, media/tone.m4a]
extractors:
  - use: subtitles
chunker: {use: rules, with: {min_duration: 4, max_duration: 10}}
embedder: {use: hashing}
index: {use: numpy}
cache: {use: sqlite, with: {path: "cache/${SERVE_SECRET}.db"}}
llm: {use: extractive}
tasks:
  summarize: true
  ask: ["Which enzyme unwinds the double helix?"]
outputs: runs
"""


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=120)


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """<tmp>/runs/clips/{talk,tone}: two finished runs (see the module docstring)."""
    root = tmp_path_factory.mktemp("serve")
    media = root / "media"
    media.mkdir()
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10:duration=24",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000:duration=24",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "32k", "-movflags", "+faststart", str(media / "talk.mp4"),
    )  # fmt: skip
    ffmpeg(
        "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=16000:duration=16",
        "-c:a", "aac", "-b:a", "32k", str(media / "tone.m4a"),
    )  # fmt: skip
    (media / "talk.vtt").write_text(TALK_VTT, encoding="utf-8")
    (media / "tone.srt").write_text(TONE_SRT, encoding="utf-8")
    (root / "clips.yaml").write_text(SPEC, encoding="utf-8")
    done = subprocess.run(
        [*HALO, "-q", "run", "clips.yaml"],
        cwd=root, env=ENV, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return root / "runs"


class Servers:
    """`halo serve` processes started by a test, each stopped by its PID."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[str]] = []

    def start(self, path: Path, *args: str, env: dict[str, str] | None = None) -> str:
        process = subprocess.Popen(
            [*HALO, "serve", str(path), "--host", "127.0.0.1", "--port", "0", *args],
            env=env or ENV, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        self.started.append(process)
        assert process.stderr is not None
        line = process.stderr.readline()  # printed once the socket listens
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found, f"halo serve did not start: {line}{process.stderr.read()}"
        return f"http://127.0.0.1:{found.group(1)}"

    def stop_all(self) -> None:
        for process in self.started:
            process.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly (closing open runs)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def stopped(runs: Path) -> Path:
    """A real run that stopped: captions-only spec, input without captions (run.json says so)."""
    root = runs.parent
    shutil.copy2(root / "media" / "tone.m4a", root / "media" / "nocaps.m4a")
    spec = SPEC.replace("name: clips", "name: stops").replace(
        "inputs: [media/talk.mp4, media/tone.m4a]", "inputs: [media/nocaps.m4a]"
    )
    (root / "stops.yaml").write_text(spec, encoding="utf-8")
    done = subprocess.run(
        [*HALO, "-q", "run", "stops.yaml", "--out", "stopped-runs"],
        cwd=root, env=ENV, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "no subtitles" in done.stderr, done.stderr
    return root / "stopped-runs" / "stops" / "nocaps"


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    servers = Servers()
    yield servers.start
    servers.stop_all()


@pytest.fixture(scope="module")
def base(runs: Path) -> Iterator[str]:
    """One `halo serve runs/` shared by a module's tests that only read and ask."""
    servers = Servers()
    yield servers.start(runs)
    servers.stop_all()


def http(
    base: str,
    path: str,
    method: str = "GET",
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request to `base` + `path` (sent as is, no normalising); JSON `body` when not bytes."""
    parts = urlsplit(base)
    connection = HTTPConnection(parts.hostname, parts.port, timeout=300)
    headers = dict(headers or {})
    payload = body
    if body is not None and not isinstance(body, bytes):
        payload = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    try:
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def copy_run(source: Path, target: Path, files: list[str]) -> None:
    """Copy some of a run folder's files, as a run in progress has written them so far."""
    for name in files:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, target / name)
