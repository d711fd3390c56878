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
    ca_file: Path | None = None  # set when the server speaks TLS only

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        if self.ca_file:
            return f"rediss://{auth}127.0.0.1:{self.port}/0?ssl_ca_certs={self.ca_file}"
        return f"redis://{auth}127.0.0.1:{self.port}/0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made with the openssl command line tool."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def start_server(
    tmp: Path, password: str | None = None, tls: bool = False
) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    assert binary, (
        "redis-server is not on PATH: install the Debian package (scripts/install.sh does)"
    )
    port = free_port()
    args = [
        binary,
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        "--dir",
        str(tmp),
    ]
    ca_file = None
    if tls:
        ca_file, key = self_signed_certificate(tmp)
        args += [
            "--port",
            "0",
            "--tls-port",
            str(port),
            "--tls-cert-file",
            str(ca_file),
            "--tls-key-file",
            str(key),
            "--tls-ca-cert-file",
            str(ca_file),
            "--tls-auth-clients",
            "no",
        ]
    else:
        args += ["--port", str(port)]
    if password:
        args += ["--requirepass", password]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    server = RedisServer(port, password, ca_file)
    client = redis.Redis.from_url(server.url, socket_timeout=1)
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
        yield server
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


@pytest.fixture(scope="session")
def redis_server_with_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    yield from start_server(tmp_path_factory.mktemp("redis-tls"), password=PASSWORD, tls=True)
