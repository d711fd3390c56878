"""Cache backend `redis`: namespaced JSON values in a Redis server, shared by every worker.

Layout under the key prefix P (default `halo`):

    P:v:<namespace>:<key>   the value, JSON text, with a Redis expiry when it has a TTL
    P:lru                   sorted set of value key names, scored by last use
    P:clock                 the counter that stamps each use (a total order, unlike wall time)

`<namespace>` is percent-encoded, so a namespace never contains `:` or glob characters and one
namespace's SCAN pattern cannot match another's keys. Every write and every hit goes through a
Lua script that updates the value and its LRU stamp in one round trip, and a write past
`max_entries` evicts the least recently used entries in the same script: the bound holds without
relying on the server's maxmemory policy. Listing (`scan`, `stats`, `clear`) uses SCAN, never KEYS,
and fetches values with one MGET per SCAN batch.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from pydantic import ConfigDict, Field, SecretStr, field_validator

from halo_core import CacheBackend, CacheConfig, ComponentUnavailable, encode_value, expires_at

log = logging.getLogger("halo.cache.redis")

SCAN_BATCH = 500
URL_SCHEMES = ("redis", "rediss", "unix")

# KEYS: value key, lru zset, clock. ARGV: JSON text, expiry as a Unix time in ms (0: none; from
# the backend's `clock`, so tests can write entries that expired already), max entries.
_SET = """
if tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[1])
end
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), KEYS[1])
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
local evicted = 0
if excess > 0 then
  local victims = redis.call('ZPOPMIN', KEYS[2], excess)
  for i = 1, #victims, 2 do
    evicted = evicted + redis.call('DEL', victims[i])
  end
end
return evicted
"""

# KEYS: value key, lru zset, clock. A hit refreshes the LRU stamp; a miss drops a stale stamp.
# A key of another type under our prefix (not written by this backend) is dropped and reported.
_GET = """
local value = redis.pcall('GET', KEYS[1])
if type(value) == 'table' and value.err then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], KEYS[1])
  return {'wrongtype'}
end
if value then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), KEYS[1])
else
  redis.call('ZREM', KEYS[2], KEYS[1])
end
return value
"""


class RedisCacheConfig(CacheConfig):
    # Validation errors must not quote a URL back: it may carry the password.
    model_config = ConfigDict(hide_input_in_errors=True)

    url: str = Field(
        default="redis://127.0.0.1:6379/0",
        repr=False,
        description="redis://[:PASSWORD@]HOST:PORT/DB, or rediss:// for TLS (query options such as "
        "ssl_ca_certs=PATH are passed to redis-py)",
    )
    password: SecretStr | None = Field(
        default=None, description="password when not in the URL; use ${ENV_VAR} in a spec"
    )
    prefix: str = Field(
        default="halo",
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="prefix of every key, so several caches can share one server",
    )
    socket_timeout: float = Field(default=5.0, gt=0, description="seconds to wait for the server")

    @field_validator("url")
    @classmethod
    def _redis_scheme(cls, url: str) -> str:
        scheme = urlsplit(url).scheme
        if scheme not in URL_SCHEMES:
            raise ValueError(
                f"the url's scheme is {scheme!r}; use redis://HOST:PORT/DB, rediss:// for TLS, "
                "or unix:///path/to/redis.sock"
            )
        return url


class RedisCache(CacheBackend[RedisCacheConfig]):
    name = "redis"
    version = "1"
    Config = RedisCacheConfig
    description = "LRU cache of JSON values in a Redis server (shared by every worker)"

    def __init__(self, config: RedisCacheConfig | None = None) -> None:
        import redis  # here, not at module level: registration (e.g. `halo --help`) stays fast

        super().__init__(config)
        cfg = self.config
        password = cfg.password.get_secret_value() if cfg.password else None
        self._secrets = [s for s in (password, urlsplit(cfg.url).password) if s]
        # A password in the URL takes precedence over `password:` (redis-py's from_url rule).
        self._client = redis.Redis.from_url(
            cfg.url,
            password=password,
            socket_timeout=cfg.socket_timeout,
            socket_connect_timeout=cfg.socket_timeout,
        )
        self._set_script = self._client.register_script(_SET)
        self._get_script = self._client.register_script(_GET)
        self._values = f"{cfg.prefix}:v:"
        self._lru = f"{cfg.prefix}:lru"
        self._clock = f"{cfg.prefix}:clock"

    # --- the contract ----------------------------------------------------------------------------

    def get(self, namespace: str, key: str) -> Any:
        name = self._key(namespace, key)
        with self._errors():
            raw = self._get_script(keys=[name, self._lru, self._clock])
        if raw is None:
            return None
        try:
            if isinstance(raw, list):  # the script already dropped a key that is not a string
                raise ValueError("not a string value")
            return json.loads(raw)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            # Not written by this backend (or damaged): a miss, and gone so the next set repairs it.
            log.warning(
                "dropping the corrupted entry %r in namespace %r of %s (%s)",
                key,
                namespace,
                self.redacted_url,
                exc,
            )
            self.delete(namespace, key)
            return None

    def set(self, namespace: str, key: str, value: Any, ttl: float | None = None) -> None:
        text = encode_value(value)
        expires = expires_at(ttl, self.config.ttl, self.clock())
        expires_ms = 0 if expires is None else max(1, round(expires * 1000))
        with self._errors():
            evicted = self._set_script(
                keys=[self._key(namespace, key), self._lru, self._clock],
                args=[text, expires_ms, self.config.max_entries],
            )
        if evicted:
            log.debug(
                "evicted %d least recently used entr%s", evicted, "y" if evicted == 1 else "ies"
            )

    def delete(self, namespace: str, key: str) -> bool:
        name = self._key(namespace, key)
        with self._errors():
            deleted, _ = (
                self._client.pipeline(transaction=True).delete(name).zrem(self._lru, name).execute()
            )
        return bool(deleted)

    def scan(self, namespace: str) -> Iterator[tuple[str, Any]]:
        for names in self._scan_batches(self._pattern(namespace)):
            with self._errors():
                raws = self._client.mget(names)
            for name, raw in zip(names, raws):
                if raw is None:  # expired or deleted since SCAN listed it
                    continue
                _, key = self._split(name)
                try:
                    yield key, json.loads(raw)
                except ValueError:  # JSONDecodeError, UnicodeDecodeError
                    log.warning(
                        "skipping the corrupted entry %r in namespace %r of %s",
                        key,
                        namespace,
                        self.redacted_url,
                    )

    def stats(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for names in self._scan_batches(self._pattern(None)):
            for name in names:
                namespace, _ = self._split(name)
                counts[namespace] = counts.get(namespace, 0) + 1
        return counts

    def clear(self, namespace: str | None = None) -> int:
        removed = 0
        for names in self._scan_batches(self._pattern(namespace)):
            with self._errors():
                removed += (
                    self._client.pipeline(transaction=True)
                    .delete(*names)
                    .zrem(self._lru, *names)
                    .execute()[0]
                )
        if namespace is None:
            with self._errors():
                self._client.delete(self._lru, self._clock)
        return removed

    def close(self) -> None:
        self._client.close()

    def check(self) -> list[str]:
        try:
            with self._errors():
                self._client.ping()
        except ComponentUnavailable as exc:
            return [f"redis at {self.redacted_url}: {exc.what}; fix: {exc.fix}"]
        return []

    def identity(self) -> dict[str, Any]:
        identity = super().identity()
        identity["config"] = {**identity["config"], "url": self.redacted_url}  # type: ignore[dict-item]
        return identity

    # --- internals -------------------------------------------------------------------------------

    @property
    def redacted_url(self) -> str:
        parts = urlsplit(self.config.url)
        if parts.password is None:
            return self.config.url
        user = parts.username or ""
        host = parts.hostname or ""
        netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn redis-py's errors into ones that say what, where and how to fix, without secrets."""
        import redis

        where = f"cache redis at {self.redacted_url}"
        try:
            yield
        except redis.exceptions.AuthenticationError as exc:
            raise ComponentUnavailable(
                f"the redis server refused the credentials ({self._redact(str(exc))})",
                where=where,
                fix="put the right password in the URL (redis://:PASSWORD@host:port/0) or in "
                "`password:` (e.g. password: ${REDIS_PASSWORD})",
            ) from None
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            raise ComponentUnavailable(
                f"cannot reach the redis server ({self._redact(str(exc))})",
                where=where,
                fix="start it (e.g. `redis-server --port 6379`), or point the cache's `url:` at a "
                "running server, or use `cache: {use: sqlite}`",
            ) from None
        except redis.exceptions.ResponseError as exc:
            message = self._redact(str(exc))
            if message.startswith(("NOAUTH", "WRONGPASS")):
                raise ComponentUnavailable(
                    f"the redis server needs a password ({message})",
                    where=where,
                    fix="set it in the URL (redis://:PASSWORD@host:port/0) or in `password:`",
                ) from None
            raise ComponentUnavailable(
                f"the redis server rejected a command ({message})",
                where=where,
                fix="use Redis 6.2 or newer, and a key prefix no other program writes under",
            ) from None

    def _key(self, namespace: str, key: str) -> str:
        return f"{self._values}{quote(namespace, safe='')}:{key}"

    def _split(self, name: bytes) -> tuple[str, str]:
        encoded_namespace, _, key = name.decode()[len(self._values) :].partition(":")
        return unquote(encoded_namespace), key

    def _pattern(self, namespace: str | None) -> str:
        values = _glob_escape(self._values)
        return f"{values}*" if namespace is None else f"{values}{quote(namespace, safe='')}:*"

    def _scan_batches(self, pattern: str) -> Iterator[list[bytes]]:
        seen: set[bytes] = set()  # SCAN may return a key more than once
        cursor = 0
        while True:
            with self._errors():
                cursor, names = self._client.scan(cursor=cursor, match=pattern, count=SCAN_BATCH)
            fresh = [name for name in dict.fromkeys(names) if name not in seen]
            seen.update(fresh)
            if fresh:
                yield fresh
            if cursor == 0:
                return


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)
