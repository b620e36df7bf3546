"""Authentication: argon2 passwords, HS256 access tokens, rotating refresh tokens, login throttling.

Refresh tokens are opaque random strings; Redis keeps only their sha256 (`gateway:refresh:<sha256>`
→ user id, with the refresh TTL), so a leaked Redis dump cannot be replayed.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import jwt
import redis.asyncio as aioredis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request

from baifang_common.context import Caller
from baifang_common.redis import key
from gateway.errors import ApiError
from gateway.settings import GatewaySettings

ALGORITHM = "HS256"
# OWASP's argon2id minimum (19 MiB, t=2, p=1): ~25 ms instead of ~200 ms per login on two
# cores, so a morning peak of logins does not starve ingestion. Hashes keep their own parameters.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Verified when the username is unknown, so timing does not tell which accounts exist.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(8))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password_async(password_hash: str, password: str) -> bool:
    """argon2 costs tens of milliseconds of CPU: off the event loop."""
    return await asyncio.to_thread(verify_password, password_hash, password)


def unauthenticated(message: str = "authentication required", code: str = "unauthenticated") -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": "Bearer"})


def encode_access_token(caller: Caller, settings: GatewaySettings, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": caller.id,
        "role": caller.role,
        "team": caller.team_id,
        "iat": issued,
        "exp": issued + settings.access_ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


def decode_access_token(token: str, settings: GatewaySettings) -> Caller:
    """The caller a token names; 401 token_expired or unauthenticated otherwise."""
    try:
        claims = jwt.decode(
            token, settings.jwt_secret, algorithms=[ALGORITHM], options={"require": ["sub", "role", "exp", "iat"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise unauthenticated("access token expired", "token_expired") from exc
    except jwt.PyJWTError as exc:
        raise unauthenticated("invalid access token") from exc
    sub, role, team = claims.get("sub"), claims.get("role"), claims.get("team", "")
    if not isinstance(sub, str) or not isinstance(role, str) or not isinstance(team, str):
        raise unauthenticated("invalid access token")
    return Caller(id=sub, role=role, team_id=team)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class RefreshTokens:
    """Opaque, rotated, revocable refresh tokens in Redis."""

    redis: aioredis.Redis
    settings: GatewaySettings

    def _key(self, token: str) -> str:
        return key(self.settings, "refresh", _digest(token))

    async def issue(self, user_id: str) -> str:
        token = secrets.token_urlsafe(32)
        await self.redis.set(self._key(token), user_id, ex=self.settings.refresh_ttl_seconds)
        return token

    async def consume(self, token: str) -> str | None:
        """The user id of a live token, which stops working now (GETDEL: two racing refreshes get one pair)."""
        value = await self.redis.getdel(self._key(token))
        return value if isinstance(value, str) else None

    async def revoke(self, token: str) -> bool:
        return bool(await self.redis.delete(self._key(token)))


@dataclass(frozen=True)
class LoginThrottle:
    """Failed logins per username in a fixed window; at the limit, further attempts get 429."""

    redis: aioredis.Redis
    settings: GatewaySettings

    def _key(self, username: str) -> str:
        return key(self.settings, "login_failures", _digest(username.lower()))

    async def check(self, username: str) -> None:
        k = self._key(username)
        failures = await self.redis.get(k)
        if failures is not None and int(failures) >= self.settings.login_failure_limit:
            ttl = await self.redis.ttl(k)
            retry = max(int(ttl), 1) if ttl and ttl > 0 else self.settings.login_failure_window_seconds
            raise ApiError(
                429,
                "rate_limited",
                "too many failed logins, retry later",
                {"retry_after_s": retry},
                {"Retry-After": str(retry)},
            )

    async def failed(self, username: str) -> None:
        k = self._key(username)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(k)
            pipe.expire(k, self.settings.login_failure_window_seconds, nx=True)
            await pipe.execute()

    async def succeeded(self, username: str) -> None:
        await self.redis.delete(self._key(username))


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthenticated()
    return token.strip()


async def current_caller(request: Request) -> Caller:
    """FastAPI dependency: the authenticated caller (also kept on request.state for the access log)."""
    settings: GatewaySettings = request.app.state.settings
    caller = decode_access_token(bearer_token(request), settings)
    request.state.caller = caller
    return caller


def require_roles(*roles: str) -> Callable[[Request], Awaitable[Caller]]:
    """A dependency admitting only the given roles (403 forbidden for the others)."""

    async def dependency(request: Request) -> Caller:
        caller = await current_caller(request)
        if caller.role not in roles:
            raise ApiError(403, "forbidden", "this needs the role " + " or ".join(roles), {"role": caller.role})
        return caller

    return dependency


def token_pair(access: str, settings: GatewaySettings, refresh: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"access_token": access, "token_type": "bearer", "expires_in": settings.access_ttl_seconds}
    if refresh is not None:
        body["refresh_token"] = refresh
    return body
