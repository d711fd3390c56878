"""Real redis-servers for the tests (one plain, one with a password, one TLS-only), per session.

They run on 127.0.0.1 on free ports (halo_redis.testing.running_redis_server) and stop at teardown.
The binary comes from the Debian package redis-server, which scripts/install.sh installs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from halo_redis.testing import RedisServer, free_port, running_redis_server

__all__ = ["PASSWORD", "RedisServer", "free_port", "fresh_prefix"]

PASSWORD = "s3cret-Pa55word"


def fresh_prefix() -> str:
    """A key prefix of its own, so tests sharing the server never see each other's keys."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with running_redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="session")
def redis_server_with_password(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with running_redis_server(tmp_path_factory.mktemp("redis-auth"), password=PASSWORD) as server:
        yield server


@pytest.fixture(scope="session")
def redis_server_with_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    folder = tmp_path_factory.mktemp("redis-tls")
    with running_redis_server(folder, password=PASSWORD, tls=True) as server:
        yield server
