"""Readiness checks of the infrastructure a process depends on (never used for liveness)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import kombu
import redis
from pymongo import MongoClient

logger = logging.getLogger(__name__)

Check = Callable[[], object]


def mongo_check(client: MongoClient[Any]) -> Check:
    return lambda: client.admin.command("ping")


def redis_check(client: redis.Redis) -> Check:
    return lambda: client.ping()


def amqp_check(amqp_uri: str) -> Check:
    def check() -> None:
        with kombu.Connection(amqp_uri, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)

    return check


class Readiness:
    """Runs named checks, caching a good answer briefly so probes do not hammer dependencies.

    A failure is never cached: a process becomes ready the moment its dependencies answer.
    """

    def __init__(self, checks: dict[str, Check], ttl: float = 2.0) -> None:
        self.checks = checks
        self.ttl = ttl
        self._lock = threading.Lock()
        self._ready_at = float("-inf")

    def __call__(self) -> list[str]:
        """Names of the failing checks; empty when ready."""
        with self._lock:
            now = time.monotonic()
            if now - self._ready_at < self.ttl:
                return []
            failures = []
            for name, check in self.checks.items():
                try:
                    check()
                except Exception as exc:  # a failing dependency of any kind means "not ready"
                    logger.warning("readiness check failed: %s: %s", name, exc)
                    failures.append(name)
            if not failures:
                self._ready_at = now
            return failures
