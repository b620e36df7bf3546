"""/auth/login, /auth/refresh, /auth/logout, /me."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from baifang_common.context import Caller
from gateway.auth import (
    current_caller,
    encode_access_token,
    token_pair,
    unauthenticated,
    verify_password_async,
)
from gateway.deps import Deps, get_deps
from gateway.errors import ApiError
from gateway.routes import API_PREFIX
from gateway.schemas.auth import LoginRequest, LogoutRequest, RefreshRequest

router = APIRouter(prefix=API_PREFIX, tags=["auth"])


@router.post("/auth/login")
async def login(body: LoginRequest, deps: Annotated[Deps, Depends(get_deps)]) -> dict[str, Any]:
    """Password login; a refresh token only with `remember` (the app's "remember password")."""
    await deps.login_throttle.check(body.username)
    user = await deps.users.get(body.username)
    password_ok = await verify_password_async(user.password_hash if user else "", body.password)
    if user is None or not password_ok or not user.active:
        await deps.login_throttle.failed(body.username)
        raise ApiError(401, "invalid_credentials", "wrong username or password")
    await deps.login_throttle.succeeded(body.username)
    caller = Caller(user.id, user.role, user.team_id)
    refresh = await deps.refresh_tokens.issue(user.id) if body.remember else None
    return {**token_pair(encode_access_token(caller, deps.settings), deps.settings, refresh), "user": user.public()}


@router.post("/auth/refresh")
async def refresh(body: RefreshRequest, deps: Annotated[Deps, Depends(get_deps)]) -> dict[str, Any]:
    """Rotate: the presented token stops working and a new pair is answered."""
    user_id = await deps.refresh_tokens.consume(body.refresh_token)
    if user_id is None:
        raise unauthenticated("refresh token is invalid, expired or already used")
    user = await deps.users.get(user_id)
    if user is None or not user.active:
        raise unauthenticated("account is disabled")
    caller = Caller(user.id, user.role, user.team_id)
    new_refresh = await deps.refresh_tokens.issue(user.id)
    return {**token_pair(encode_access_token(caller, deps.settings), deps.settings, new_refresh), "user": user.public()}


@router.post("/auth/logout", status_code=204)
async def logout(body: LogoutRequest, deps: Annotated[Deps, Depends(get_deps)]) -> Response:
    """Revoke the refresh token (idempotent: an unknown token is already revoked)."""
    await deps.refresh_tokens.revoke(body.refresh_token)
    return Response(status_code=204)


@router.get("/me")
async def me(caller: Annotated[Caller, Depends(current_caller)], deps: Annotated[Deps, Depends(get_deps)]) -> Any:
    user = await deps.users.get(caller.id)
    if user is None or not user.active:
        raise unauthenticated("account no longer exists")
    return user.public()
