"""What a request handler may use, built once in the app's lifespan (the composition root is main.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from fastapi import Request
from pymongo import AsyncMongoClient

from gateway.auth import LoginThrottle, PasswordHashing, RefreshTokens, RevokedAccessTokens
from gateway.clients import Clients
from gateway.devices import DeviceKeys
from gateway.imports import ImportJobs
from gateway.settings import GatewaySettings
from gateway.trackers import TrackerKeys
from gateway.users import ActiveUsers, UserStore


@dataclass(frozen=True)
class Deps:
    settings: GatewaySettings
    redis: aioredis.Redis
    mongo: AsyncMongoClient[dict[str, Any]]
    users: UserStore
    active_users: ActiveUsers
    refresh_tokens: RefreshTokens
    revoked_tokens: RevokedAccessTokens
    login_throttle: LoginThrottle
    passwords: PasswordHashing
    clients: Clients
    devices: DeviceKeys
    trackers: TrackerKeys
    imports: ImportJobs


async def get_deps(request: Request) -> Deps:
    """Async on purpose: FastAPI runs a plain `def` dependency on its thread pool, a thread hop per request."""
    deps: Deps = request.app.state.deps
    return deps
