"""Test helpers for anything that needs a real Redis: a throwaway `redis-server` process.

    from halo_redis.testing import running_redis_server

    with running_redis_server(tmp_path) as server:
        cache = RedisCache.from_options({"url": server.url})

Needs the `redis-server` binary (Debian package redis-server) and, for TLS, `openssl`.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis


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


@contextmanager
def running_redis_server(
    folder: Path, password: str | None = None, tls: bool = False
) -> Iterator[RedisServer]:
    """Start `redis-server` on 127.0.0.1 and a free port, wait until it answers, stop it on exit.

    With `password`, the server requires it (--requirepass); with `tls`, it speaks TLS only, with a
    self-signed certificate for 127.0.0.1 written into `folder` (`RedisServer.url` names it as the
    CA). Nothing is persisted (--save '', --appendonly no).
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "redis-server is not on PATH: install the Debian package redis-server "
            "(scripts/install.sh does)"
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
        str(folder),
    ]
    ca_file = None
    if tls:
        ca_file, key = self_signed_certificate(folder)
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
    log = (
        folder / f"redis-{port}.log"
    )  # a file, not a pipe nobody drains: a full pipe blocks the server
    args += ["--logfile", str(log)]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
                output = log.read_text(errors="replace") if log.exists() else ""
                message = f"redis-server did not start on port {port}:\n{output}"
                raise RuntimeError(message) from None
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
