"""`python -m halo_gemini.fake_server --port P`: what the lead runs for offline end-to-end runs."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

import pytest
from halo_gemini import GeminiBackend, GeminiConfig

from halo_core import LLMRequest


@pytest.fixture
def served() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "halo_gemini.fake_server", "--port", str(port), "--key", "k-cli"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert f"http://127.0.0.1:{port}" in process.stdout.readline()
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_server_runs_as_a_module_and_reports_its_ledger(served: str, tmp_path) -> None:
    config = GeminiConfig(base_url=served, api_key="k-cli", state_path=None)
    answer = GeminiBackend(config).generate(
        LLMRequest(task="summarize", prompt="Summarize.", context="One idea, told at length.")
    )
    with urllib.request.urlopen(f"{served}/_fake/ledger") as reply:
        ledger = json.load(reply)
    assert ledger["totals"]["generate_requests"] == 1
    assert ledger["totals"]["requests"] == {"countTokens": 1, "generateContent": 1}
    assert ledger["ledger"][0]["prompt"] == answer.usage.input_tokens
