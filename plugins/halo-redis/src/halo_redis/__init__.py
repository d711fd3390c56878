"""HALO cache backend `redis`."""

from .backend import RedisCache, RedisCacheConfig

__all__ = ["RedisCache", "RedisCacheConfig"]
