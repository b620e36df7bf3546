"""Redis client factory and the key naming rule `<svc>:<thing>:<id>` (with the run's prefix)."""

from __future__ import annotations

import redis as redis_lib
from redis.exceptions import RedisError

from baifang_common.errors import raises_unavailable
from baifang_common.settings import ServiceSettings

# On every Redis adapter: Redis failures reach use cases as Unavailable.
redis_adapter = raises_unavailable("redis", (RedisError,))


def client(settings: ServiceSettings) -> redis_lib.Redis:
    return redis_lib.Redis.from_url(
        settings.redis_url, decode_responses=True, socket_timeout=3, socket_connect_timeout=3
    )


def key(settings: ServiceSettings, *parts: str) -> str:
    return settings.key_prefix + ":".join([settings.service, *parts])
