"""The `halo` entry point of halo-redis: registers the `redis` cache backend."""

from __future__ import annotations

from typing import Any

from halo_core import hookimpl

from .backend import RedisCache


@hookimpl
def register_cache_backends(register: Any) -> None:
    register(RedisCache)
