"""A real redis-server per test session, on 127.0.0.1 and a free port, stopped at teardown.

The binary comes from the Debian package redis-server (scripts/install.sh installs it). Nothing is
persisted: no RDB snapshots (--save ''), no append-only file.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

PASSWORD = "s3cret-Pa55word"


@dataclass(frozen=True)
class RedisServer:
    port: int
    password: str | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(tmp: Path, password: str | None = None) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    assert binary, "redis-server is not on PATH: install the Debian package (scripts/install.sh does)"
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--dir", str(tmp)]
    if password:
        args += ["--requirepass", password]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    client = redis.Redis(port=port, password=password, socket_timeout=1)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"redis-server did not start on port {port}:\n{output}")
            time.sleep(0.05)
    client.close()
    try:
        yield RedisServer(port, password)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    yield from start_server(tmp_path_factory.mktemp("redis"))


@pytest.fixture(scope="session")
def redis_server_with_password(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    yield from start_server(tmp_path_factory.mktemp("redis-auth"), password=PASSWORD)


def fresh_prefix() -> str:
    """A key prefix of its own, so tests sharing the server never see each other's keys."""
    return f"test-{uuid.uuid4().hex[:12]}"
