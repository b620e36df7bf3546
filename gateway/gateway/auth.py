"""Authentication: argon2 passwords, HS256 access tokens, rotating refresh tokens, login throttling.

An access token is only as good as its account: each request checks that the token's id (`jti`) was
not revoked by a logout and that its account still exists, is active and has the role and team the
token names (ActiveUsers, cached for seconds). Refresh tokens are opaque, rotated and grouped in
families (one per login); Redis keeps only their sha256, so a leaked Redis dump cannot be replayed.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
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
from gateway.users import ROLES, ActiveUsers

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


class PasswordHashing:
    """argon2 off the event loop, on one thread per gateway process, with a bounded wait.

    argon2 releases the GIL: with the default thread pool a burst of logins (tablets whose sessions
    all failed at once) hashes on every core and starves the requests already in flight, which then
    time out and send more tablets to a password login. One thread keeps the burst to one core's
    share; past `queue_limit` waiting, a login answers 503 with Retry-After instead of queueing
    behind seconds of hashing.
    """

    def __init__(self, queue_limit: int) -> None:
        self.queue_limit = queue_limit
        self.waiting = 0
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="password-hash")

    async def _run(self, fn: Callable[..., Any], *args: str, shed: bool) -> Any:
        if shed and self.waiting >= self.queue_limit:
            raise ApiError(503, "unavailable", "too many logins at once, retry in a second", {}, {"Retry-After": "1"})
        self.waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)
        finally:
            self.waiting -= 1

    async def verify(self, password_hash: str, password: str, *, shed: bool = True) -> bool:
        """`shed=False` waits its turn however long the queue (an admin import must not fail for a login burst)."""
        return bool(await self._run(verify_password, password_hash, password, shed=shed))

    async def hash(self, password: str, *, shed: bool = True) -> str:
        return str(await self._run(hash_password, password, shed=shed))

    def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)


def unauthenticated(message: str = "authentication required", code: str = "unauthenticated") -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": "Bearer"})


def encode_access_token(
    caller: Caller, settings: GatewaySettings, now: float | None = None, *, version: int = 0
) -> str:
    """`ver` is the account's token_version at issue: disabling the account makes the token worthless."""
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": caller.id,
        "role": caller.role,
        "team": caller.team_id,
        "iat": issued,
        "exp": issued + settings.access_ttl_seconds,
        "jti": uuid.uuid4().hex,
        "ver": version,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


@dataclass(frozen=True)
class AccessClaims:
    caller: Caller
    jti: str
    exp: int
    version: int


# Access tokens whose signature and claims were verified, until they expire: a tablet sends the same
# token with every request for 15 minutes, and decoding it again cost more than the rest of the auth.
# Keyed by the secret too (a process holds one, tests several). Bounded: cleared when full.
_VERIFIED_MAX_ENTRIES = 10_000
_verified: dict[tuple[str, str], AccessClaims] = {}


def access_claims(token: str, settings: GatewaySettings) -> AccessClaims:
    """The verified claims of an access token; 401 token_expired or unauthenticated otherwise.

    Only the roles an account may hold are accepted: `system`, `device` or anything else is refused.
    """
    key = (settings.jwt_secret, token)
    known = _verified.get(key)
    if known is not None and time.time() < known.exp:
        return known
    claims = _decoded_claims(token, settings)
    if len(_verified) >= _VERIFIED_MAX_ENTRIES:
        _verified.clear()
    _verified[key] = claims
    return claims


def _decoded_claims(token: str, settings: GatewaySettings) -> AccessClaims:
    """access_claims without the cache: signature, expiry and every claim checked."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "role", "exp", "iat", "jti"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise unauthenticated("access token expired", "token_expired") from exc
    except jwt.PyJWTError as exc:
        raise unauthenticated("invalid access token") from exc
    sub, role, team, jti = claims.get("sub"), claims.get("role"), claims.get("team", ""), claims.get("jti")
    version = claims.get("ver", 0)
    if not (
        isinstance(sub, str)
        and isinstance(team, str)
        and isinstance(jti, str)
        and role in ROLES
        and max(len(sub), len(team), len(jti)) <= 128
        and isinstance(version, int)
        and not isinstance(version, bool)
    ):
        raise unauthenticated("invalid access token")
    return AccessClaims(Caller(id=sub, role=role, team_id=team), jti, int(claims["exp"]), version)


def decode_access_token(token: str, settings: GatewaySettings) -> Caller:
    """The caller a token names (signature, expiry and role checked; the account is not looked up)."""
    return access_claims(token, settings).caller


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Rotate a refresh token atomically. KEYS: the token, its family. The token's value is "live" until it is
# rotated, then "used" (kept until it would have expired, to recognise a replay). A replayed token
# revokes its family, successors included. Answers {0} unknown or revoked, {1} replayed, {2, user}.
_ROTATE = """
local state = redis.call('GET', KEYS[1])
if not state then return {0} end
if state ~= 'live' then
  redis.call('DEL', KEYS[2])
  return {1}
end
redis.call('SET', KEYS[1], 'used', 'KEEPTTL')
local user = redis.call('GET', KEYS[2])
if not user then return {0} end
return {2, user}
"""


@dataclass(frozen=True)
class RefreshSession:
    """One login's refresh family: whose, under which token_version of the account (disabling refuses it)."""

    user_id: str
    family: str
    version: int


@dataclass(frozen=True)
class RefreshTokens:
    """Opaque, rotated, revocable refresh tokens in Redis, one family per login.

    A token reads `<family>.<secret>`. Keys: `refresh:<sha256(token)>` → live | used (refresh TTL) and
    `refresh_family:<family>` → `<token_version>:<user id>` (refresh TTL, renewed on each rotation).
    A token works while it is live and its family exists; presenting a used token again (a stolen copy, or the thief's
    successor) deletes the family, so every token of that login stops working.
    """

    redis: aioredis.Redis
    settings: GatewaySettings

    def _key(self, token: str) -> str:
        return key(self.settings, "refresh", _digest(token))

    def _family_key(self, family: str) -> str:
        return key(self.settings, "refresh_family", family)

    @staticmethod
    def _family_of(token: str) -> str | None:
        family, dot, secret = token.partition(".")
        return family if dot and family and secret and len(family) <= 32 else None

    async def issue(self, user_id: str, version: int, family: str | None = None) -> str:
        """A new token: of a new family (a login), or continuing `family` (a rotation)."""
        family = family or secrets.token_urlsafe(12)
        token = f"{family}.{secrets.token_urlsafe(32)}"
        ttl = self.settings.refresh_ttl_seconds
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._family_key(family), f"{version}:{user_id}", ex=ttl)
            pipe.set(self._key(token), "live", ex=ttl)
            await pipe.execute()
        return token

    async def rotate(self, token: str) -> RefreshSession | None:
        """The login a live token belongs to; the token stops working now. None when unknown, used or revoked.

        Two racing refreshes with one token get one pair: the second is a replay and revokes the family.
        """
        family = self._family_of(token)
        if family is None:
            return None
        answer = await self.redis.eval(_ROTATE, 2, self._key(token), self._family_key(family))  # type: ignore[misc]
        if answer[0] != 2:
            return None
        version, _, user_id = str(answer[1]).partition(":")
        return RefreshSession(user_id, family, int(version)) if version.isdigit() else None

    async def revoke(self, token: str) -> None:
        """Revoke the token's whole family (logout ends the login, successors included)."""
        keys = [self._key(token)]
        family = self._family_of(token)
        if family is not None:
            keys.append(self._family_key(family))
        await self.redis.delete(*keys)


@dataclass(frozen=True)
class RevokedAccessTokens:
    """The `jti` deny-list of logged-out access tokens: `revoked_jti:<jti>`, kept until the token expires."""

    redis: aioredis.Redis
    settings: GatewaySettings

    def _key(self, jti: str) -> str:
        return key(self.settings, "revoked_jti", jti)

    async def revoke(self, claims: AccessClaims, now: float | None = None) -> None:
        remaining = claims.exp - int(now if now is not None else time.time())
        if remaining > 0:
            await self.redis.set(self._key(claims.jti), "1", ex=remaining)

    async def is_revoked(self, jti: str) -> bool:
        return bool(await self.redis.exists(self._key(jti)))


# Login throttling: three scopes, each with a failure count (`fail`), attempts being checked right now
# (`pending`) and a lock. KEYS: fail, pending, lock of the (username, address) pair, then of the username,
# then of the address. Everything is decided inside Redis, before the password hash: a burst of
# concurrent attempts cannot slip past a check that has not seen the others' failures yet.
#
# Reserve. ARGV: per scope its limit and burst (pending attempts allowed beyond the failures while
# under the limit), then the pending TTL. Answers 0 (go), the lock's milliseconds left, or -1 (too
# many attempts in flight: retry in a second). Once a scope is at its limit, one attempt at a time.
_RESERVE = """
local wait = 0
for i = 0, 2 do
  local left = redis.call('PTTL', KEYS[3 * i + 3])
  if left > wait then wait = left end
end
if wait > 0 then return wait end
for i = 0, 2 do
  local failed = tonumber(redis.call('GET', KEYS[3 * i + 1]) or '0')
  local pending = tonumber(redis.call('GET', KEYS[3 * i + 2]) or '0')
  local limit, burst = tonumber(ARGV[2 * i + 1]), tonumber(ARGV[2 * i + 2])
  if (failed >= limit and pending >= 1) or (failed < limit and failed + pending >= limit + burst) then
    return -1
  end
end
for i = 0, 2 do
  redis.call('INCR', KEYS[3 * i + 2])
  redis.call('EXPIRE', KEYS[3 * i + 2], ARGV[7])
end
return 0
"""

# Settle a reserved attempt. ARGV: the outcome (failed | succeeded | released), the three limits, the
# first lock, the longest lock, the window. A failure at or over a scope's limit locks the scope for
# first lock × 2^(failures - limit), capped; failures are forgotten `window` seconds after the lock.
# A success clears the pair (the account from that address), never the username's or the address's
# counts, which an attacker could otherwise reset with an account of their own.
_SETTLE = """
for i = 0, 2 do
  if redis.call('DECR', KEYS[3 * i + 2]) <= 0 then redis.call('DEL', KEYS[3 * i + 2]) end
end
if ARGV[1] == 'succeeded' then
  redis.call('DEL', KEYS[1], KEYS[3])
elseif ARGV[1] == 'failed' then
  local first, longest, window = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
  for i = 0, 2 do
    local failed = redis.call('INCR', KEYS[3 * i + 1])
    local limit = tonumber(ARGV[i + 2])
    local lock = 0
    if failed >= limit then
      lock = math.min(first * 2 ^ math.min(failed - limit, 30), longest)
      redis.call('SET', KEYS[3 * i + 3], '1', 'EX', lock)
    end
    redis.call('EXPIRE', KEYS[3 * i + 1], window + lock)
  end
end
return 0
"""
PENDING_TTL_SECONDS = 30  # a process that died mid-attempt leaves no reservation behind for longer


def rate_limited(retry_after: int) -> ApiError:
    return ApiError(
        429,
        "rate_limited",
        "too many failed logins, retry later",
        {"retry_after_s": retry_after},
        {"Retry-After": str(retry_after)},
    )


@dataclass(frozen=True)
class LoginAttempt:
    """One reserved login attempt; settle it exactly once with its outcome."""

    throttle: LoginThrottle
    keys: tuple[str, ...]

    async def _settle(self, outcome: str) -> None:
        s = self.throttle.settings
        limits = (s.login_failure_limit, s.login_user_failure_limit, s.login_address_failure_limit)
        args = (outcome, *limits, s.login_lock_seconds, s.login_max_lock_seconds, s.login_failure_window_seconds)
        await self.throttle.redis.eval(_SETTLE, len(self.keys), *self.keys, *args)  # type: ignore[misc]

    async def failed(self) -> None:
        await self._settle("failed")

    async def succeeded(self) -> None:
        await self._settle("succeeded")

    async def released(self) -> None:
        """Neither: the attempt could not be judged (a dependency failed), so it counts for nothing."""
        await self._settle("released")


@dataclass(frozen=True)
class LoginThrottle:
    """Failed logins per (username, address), per username and per address, with a progressive lock.

    The pair's limit is low (GATEWAY_LOGIN_FAILURE_LIMIT, 5): one address cannot lock an account for
    anybody else. The username's is much higher (GATEWAY_LOGIN_USER_FAILURE_LIMIT, 50: many addresses
    guessing one password) and the address's in between (GATEWAY_LOGIN_ADDRESS_FAILURE_LIMIT, 20: one
    password sprayed over many accounts). Every refusal is 429 with Retry-After.
    """

    redis: aioredis.Redis
    settings: GatewaySettings

    def _keys(self, scope: str, *parts: str) -> list[str]:
        digest = _digest("\x00".join(parts))
        return [key(self.settings, "login", scope, kind, digest) for kind in ("fail", "pending", "lock")]

    async def attempt(self, username: str, address: str) -> LoginAttempt:
        """Reserve an attempt before the password is checked; 429 rate_limited when it must wait."""
        name = username.lower()
        keys = (*self._keys("pair", name, address), *self._keys("user", name), *self._keys("address", address))
        s = self.settings
        args = (
            s.login_failure_limit,
            0,
            s.login_user_failure_limit,
            0,
            s.login_address_failure_limit,
            s.login_address_burst,
            PENDING_TTL_SECONDS,
        )
        answer = int(await self.redis.eval(_RESERVE, len(keys), *keys, *args))  # type: ignore[misc]
        if answer != 0:
            raise rate_limited(1 if answer < 0 else max(1, math.ceil(answer / 1000)))
        return LoginAttempt(self, keys)


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthenticated()
    return token.strip()


async def authenticate(
    token: str, settings: GatewaySettings, revoked: RevokedAccessTokens, users: ActiveUsers
) -> Caller:
    """The caller of a valid, unrevoked token whose account is active with the role and team it names."""
    claims = access_claims(token, settings)
    if await revoked.is_revoked(claims.jti):
        raise unauthenticated("access token revoked")
    user = await users.get(claims.caller.id)
    if user is None or (user.role, user.team_id, user.token_version) != (
        claims.caller.role,
        claims.caller.team_id,
        claims.version,
    ):
        raise unauthenticated("account disabled, unknown or changed: log in again")
    return claims.caller


async def current_caller(request: Request) -> Caller:
    """FastAPI dependency: the authenticated caller (also kept on request.state for the access log)."""
    deps = request.app.state.deps
    caller = await authenticate(bearer_token(request), deps.settings, deps.revoked_tokens, deps.active_users)
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
