"""The `redis` cache backend against real redis-servers (one plain, one with a password, one
TLS-only), started per session on 127.0.0.1 on free ports and stopped at teardown.

The binary comes from the Debian package redis-server, which scripts/install.sh installs.
"""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from halo_redis import RedisCache
from halo_redis.testing import RedisServer, free_port, running_redis_server
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halo_core import ComponentUnavailable, get_registry
from halo_core.testing.cache_contract import CacheBackendContract

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


def build(url: str, **options: Any) -> RedisCache:
    options.setdefault("prefix", fresh_prefix())
    return RedisCache.from_options({"url": url, **options})  # type: ignore[return-value]


class TestRedisCache(CacheBackendContract):
    @pytest.fixture
    def make_backend(self, redis_server: RedisServer) -> Any:
        def make(max_entries: int | None = None) -> RedisCache:
            return build(redis_server.url, **({"max_entries": max_entries} if max_entries else {}))

        return make


def test_registered_as_the_redis_cache_backend() -> None:
    assert get_registry().get("cache", "redis").cls is RedisCache


def test_unreachable_server_is_a_clear_error(redis_server: RedisServer) -> None:
    port = free_port()  # nothing listens here
    cache = build(f"redis://:hunter2@127.0.0.1:{port}/0", socket_timeout=1)
    with pytest.raises(ComponentUnavailable) as raised:
        cache.get("ns", "k")
    message = raised.value.message
    assert "cannot reach the redis server" in message
    assert f"127.0.0.1:{port}" in message and "fix:" in message and "redis-server" in message
    assert "hunter2" not in message
    problems = cache.check()
    assert len(problems) == 1 and "cannot reach" in problems[0] and "hunter2" not in problems[0]
    with pytest.raises(ComponentUnavailable):
        cache.set("ns", "k", 1)
    with pytest.raises(ComponentUnavailable):
        cache.stats()


def test_check_is_quiet_when_the_server_answers(redis_server: RedisServer) -> None:
    assert build(redis_server.url).check() == []


def test_password_in_the_url(redis_server_with_password: RedisServer) -> None:
    cache = build(redis_server_with_password.url)
    cache.set("ns", "k", {"v": 1})
    assert cache.get("ns", "k") == {"v": 1}
    assert cache.check() == []


def test_password_in_the_config(redis_server_with_password: RedisServer) -> None:
    url = f"redis://127.0.0.1:{redis_server_with_password.port}/0"
    cache = build(url, password=PASSWORD)
    cache.set("ns", "k", [1, 2])
    assert cache.get("ns", "k") == [1, 2]
    assert PASSWORD not in repr(cache.config)
    assert PASSWORD not in str(cache.identity())


def test_missing_password_says_how_to_set_it(redis_server_with_password: RedisServer) -> None:
    cache = build(f"redis://127.0.0.1:{redis_server_with_password.port}/0")
    with pytest.raises(ComponentUnavailable, match="password") as raised:
        cache.get("ns", "k")
    assert "fix:" in raised.value.message
    assert cache.check() != []


def test_wrong_password_is_refused_and_never_shown(redis_server_with_password: RedisServer) -> None:
    wrong = "not-the-Password-42"
    cache = build(f"redis://:{wrong}@127.0.0.1:{redis_server_with_password.port}/0")
    with pytest.raises(ComponentUnavailable) as raised:
        cache.set("ns", "k", 1)
    assert wrong not in raised.value.message and PASSWORD not in raised.value.message
    assert ":***@" in raised.value.message
    assert wrong not in str(cache.identity()) and wrong not in repr(cache.config)


def test_rediss_url_with_password_over_tls(redis_server_with_tls: RedisServer) -> None:
    cache = build(redis_server_with_tls.url)
    cache.set("ns", "k", {"over": "tls"})
    assert cache.get("ns", "k") == {"over": "tls"}
    assert cache.check() == []


def test_tls_with_an_unknown_certificate_authority_is_a_clear_error(
    redis_server_with_tls: RedisServer,
) -> None:
    cache = build(
        f"rediss://:{PASSWORD}@127.0.0.1:{redis_server_with_tls.port}/0", socket_timeout=2
    )
    with pytest.raises(ComponentUnavailable, match="cannot reach the redis server") as raised:
        cache.get("ns", "k")
    assert (
        "CERTIFICATE_VERIFY_FAILED" in raised.value.message and PASSWORD not in raised.value.message
    )


def test_plain_redis_url_against_a_tls_server_fails_clearly(
    redis_server_with_tls: RedisServer,
) -> None:
    cache = build(f"redis://:{PASSWORD}@127.0.0.1:{redis_server_with_tls.port}/0", socket_timeout=2)
    problems = cache.check()
    assert len(problems) == 1 and "fix:" in problems[0] and PASSWORD not in problems[0]


def test_prefixes_isolate_caches_on_one_server(redis_server: RedisServer) -> None:
    first, second = build(redis_server.url), build(redis_server.url)
    first.set("ns", "k", "first")
    second.set("ns", "k", "second")
    assert (first.get("ns", "k"), second.get("ns", "k")) == ("first", "second")
    assert first.clear() == 1
    assert first.stats() == {} and second.stats() == {"ns": 1}


def test_namespaces_with_separators_and_globs_do_not_overlap(redis_server: RedisServer) -> None:
    cache = build(redis_server.url)
    namespaces = ["a", "a:b", "a*", "[a]", "a\\", "a%3Ab"]
    for namespace in namespaces:
        cache.set(namespace, "k:with:colons", namespace)
    for namespace in namespaces:
        assert dict(cache.scan(namespace)) == {"k:with:colons": namespace}
    assert cache.stats() == {namespace: 1 for namespace in namespaces}
    assert cache.clear("a*") == 1
    assert cache.get("a", "k:with:colons") == "a"


def test_size_bound_holds_for_workers_sharing_a_prefix(redis_server: RedisServer) -> None:
    prefix = fresh_prefix()
    workers = [build(redis_server.url, prefix=prefix, max_entries=20) for _ in range(3)]
    for i in range(200):
        workers[i % 3].set(f"ns{i % 4}", f"k{i}", i)
    assert sum(workers[0].stats().values()) == 20
    raw = redis.Redis(port=redis_server.port)
    assert raw.zcard(f"{prefix}:lru") == 20
    assert len(list(raw.scan_iter(match=f"{prefix}:*"))) == 20 + 2  # values, lru set, clock
    assert {v for w in workers for _, v in w.scan("ns3")} == {
        i for i in range(180, 200) if i % 4 == 3
    }


def test_corrupted_entry_is_a_logged_miss_and_removed(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    cache = build(redis_server.url)
    cache.set("ns", "good", 1)
    cache.set("ns", "bad", 2)
    redis.Redis(port=redis_server.port).set(cache._key("ns", "bad"), b"\xff{not json")
    assert dict(cache.scan("ns")) == {"good": 1}
    with caplog.at_level(logging.WARNING, logger="halo.cache.redis"):
        assert cache.get("ns", "bad") is None
    assert "corrupted entry 'bad'" in caplog.text
    assert cache.stats() == {"ns": 1}
    cache.set("ns", "bad", 3)
    assert cache.get("ns", "bad") == 3


def test_a_key_of_another_type_is_a_logged_miss(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    cache = build(redis_server.url)
    redis.Redis(port=redis_server.port).hset(cache._key("ns", "odd"), "field", "value")
    with caplog.at_level(logging.WARNING, logger="halo.cache.redis"):
        assert cache.get("ns", "odd") is None
    assert "not a string value" in caplog.text
    assert cache.stats() == {}
    cache.set("ns", "odd", [1])
    assert cache.get("ns", "odd") == [1]


@pytest.mark.parametrize("url", ["http://:pw-in-url@127.0.0.1:6379/0", "127.0.0.1:6379"])
def test_a_url_that_is_not_redis_is_rejected_without_echoing_it(url: str) -> None:
    with pytest.raises(ValueError, match="rediss://") as raised:
        RedisCache.from_options({"url": url})
    assert "pw-in-url" not in str(raised.value)


def test_default_ttl_from_config(redis_server: RedisServer) -> None:
    cache = build(redis_server.url, ttl=30)
    cache.set("ns", "k", 1)
    cache.set("ns", "kept", 1, ttl=1000)
    raw = redis.Redis(port=redis_server.port)
    assert 29_000 < raw.pttl(cache._key("ns", "k")) <= 30_000
    assert raw.pttl(cache._key("ns", "kept")) > 900_000
    with pytest.raises(ValueError, match="ttl"):
        cache.set("ns", "k", 1, ttl=-1)


def test_one_round_trip_per_get_and_set(redis_server: RedisServer) -> None:
    cache = build(redis_server.url, max_entries=2)
    raw = redis.Redis(port=redis_server.port)
    cache.set("ns", "warm", 0)  # loads the scripts into the server once
    cache.get("ns", "warm")

    def calls() -> int:
        return sum(
            v["calls"]
            for k, v in raw.info("commandstats").items()
            if k in ("cmdstat_evalsha", "cmdstat_eval")
        )

    before = calls()
    for i in range(5):
        cache.set("ns", f"k{i}", i)  # each one evicts past the bound, inside the same script
        cache.get("ns", f"k{i}")
    assert calls() - before == 10


class ReferenceLRU:
    """What an LRU cache of `bound` entries must hold: the model the backend is checked against."""

    def __init__(self, bound: int) -> None:
        self.bound = bound
        self.entries: OrderedDict[tuple[str, str], int] = OrderedDict()

    def get(self, namespace: str, key: str) -> int | None:
        if (namespace, key) in self.entries:
            self.entries.move_to_end((namespace, key))
        return self.entries.get((namespace, key))

    def set(self, namespace: str, key: str, value: int) -> None:
        self.entries[(namespace, key)] = value
        self.entries.move_to_end((namespace, key))
        while len(self.entries) > self.bound:
            self.entries.popitem(last=False)

    def delete(self, namespace: str, key: str) -> bool:
        return self.entries.pop((namespace, key), None) is not None


operations = st.lists(
    st.tuples(
        st.sampled_from(["get", "set", "delete"]),
        st.sampled_from(["a", "b"]),
        st.sampled_from(["k1", "k2", "k3", "k4", "k5"]),
        st.integers(0, 100),
    ),
    max_size=40,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations, bound=st.integers(1, 4))
def test_behaves_like_a_reference_lru(
    redis_server: RedisServer, ops: list[tuple[str, str, str, int]], bound: int
) -> None:
    cache, model = build(redis_server.url, max_entries=bound), ReferenceLRU(bound)
    try:
        for op, namespace, key, value in ops:
            if op == "set":
                cache.set(namespace, key, value)
                model.set(namespace, key, value)
            else:
                assert getattr(cache, op)(namespace, key) == getattr(model, op)(namespace, key)
        expected: dict[str, int] = {}
        for namespace, _ in model.entries:
            expected[namespace] = expected.get(namespace, 0) + 1
        assert cache.stats() == expected
    finally:
        cache.clear()
        cache.close()
