"""/auth/login, /auth/refresh, /auth/logout, /me."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Response

from baifang_common.context import Caller
from gateway.auth import (
    access_claims,
    current_caller,
    encode_access_token,
    token_pair,
    unauthenticated,
)
from gateway.deps import Deps, get_deps
from gateway.errors import ApiError
from gateway.routes import API_PREFIX
from gateway.schemas.auth import LoginRequest, LogoutRequest, RefreshRequest
from gateway.users import ROLES, User

router = APIRouter(prefix=API_PREFIX, tags=["auth"])


def _caller(user: User) -> Caller:
    return Caller(user.id, user.role, user.team_id)


def client_address(request: Request) -> str:
    """The peer's address (uvicorn puts X-Forwarded-For's there for proxies in FORWARDED_ALLOW_IPS)."""
    return request.client.host if request.client else "unknown"


@router.post("/auth/login")
async def login(request: Request, body: LoginRequest, deps: Annotated[Deps, Depends(get_deps)]) -> dict[str, Any]:
    """Password login; a refresh token only with `remember` (the app's "remember password").

    The attempt is reserved with the throttle before the password hash (429 + Retry-After when it must wait).
    """
    attempt = await deps.login_throttle.attempt(body.username, client_address(request))
    try:
        user = await deps.users.get(body.username)
        password_ok = await deps.passwords.verify(user.password_hash if user else "", body.password)
    except BaseException:
        await attempt.released()
        raise
    if user is None or not password_ok or not user.active or user.role not in ROLES:
        await attempt.failed()
        raise ApiError(401, "invalid_credentials", "wrong username or password")
    await attempt.succeeded()
    refresh = await deps.refresh_tokens.issue(user.id, user.token_version) if body.remember else None
    access = encode_access_token(_caller(user), deps.settings, version=user.token_version)
    return {**token_pair(access, deps.settings, refresh), "user": user.public()}


@router.post("/auth/refresh")
async def refresh(body: RefreshRequest, deps: Annotated[Deps, Depends(get_deps)]) -> dict[str, Any]:
    """Rotate: the presented token stops working and a new pair is answered.

    A token presented a second time revokes its whole family (its successors too): one of the two
    holders is a thief, and both must log in again.
    """
    session = await deps.refresh_tokens.rotate(body.refresh_token)
    if session is None:
        raise unauthenticated("refresh token is invalid, expired or already used")
    user = await deps.users.get(session.user_id)
    if user is None or not user.active or user.role not in ROLES or session.version != user.token_version:
        raise unauthenticated("account is disabled")
    new_refresh = await deps.refresh_tokens.issue(user.id, user.token_version, session.family)
    access = encode_access_token(_caller(user), deps.settings, version=user.token_version)
    return {**token_pair(access, deps.settings, new_refresh), "user": user.public()}


@router.post("/auth/logout", status_code=204)
async def logout(
    request: Request,
    deps: Annotated[Deps, Depends(get_deps)],
    body: Annotated[LogoutRequest | None, Body()] = None,
) -> Response:
    """Revoke what the client holds: the bearer access token (its `jti`, until it expires) and the
    refresh token's family. Idempotent: tokens already expired or revoked need nothing more.
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        try:
            claims = access_claims(token.strip(), deps.settings)
        except ApiError:
            claims = None  # expired or not ours: nothing to revoke
        if claims is not None:
            await deps.revoked_tokens.revoke(claims)
    if body is not None and body.refresh_token:
        await deps.refresh_tokens.revoke(body.refresh_token)
    return Response(status_code=204)


@router.get("/me")
async def me(caller: Annotated[Caller, Depends(current_caller)], deps: Annotated[Deps, Depends(get_deps)]) -> Any:
    user = await deps.active_users.get(caller.id)
    if user is None:
        raise unauthenticated("account no longer exists")
    return user.public()
