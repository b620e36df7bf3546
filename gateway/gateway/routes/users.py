"""Admin: accounts. Disabling one refuses its logins, refreshes and tokens (within the account cache's
seconds on other gateway processes, at once on this one)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from baifang_common.context import Caller
from gateway.auth import require_roles
from gateway.deps import Deps, get_deps
from gateway.errors import ApiError
from gateway.routes import API_PREFIX

router = APIRouter(prefix=API_PREFIX, tags=["admin"])

AdminDep = Annotated[Caller, Depends(require_roles("admin"))]
DepsDep = Annotated[Deps, Depends(get_deps)]
UserId = Annotated[str, Path(min_length=1, max_length=64)]


async def _set_active(user_id: str, active: bool, deps: Deps) -> dict[str, Any]:
    user = await deps.users.set_active(user_id, active)
    if user is None:
        raise ApiError(404, "not_found", "no such account", {"user_id": user_id})
    deps.active_users.forget(user_id)
    return user.admin_view()


@router.post("/admin/users/{user_id}/disable")
async def disable_user(user_id: UserId, caller: AdminDep, deps: DepsDep) -> dict[str, Any]:
    """The account can no longer log in, refresh or use its tokens; idempotent."""
    if user_id == caller.id:
        raise ApiError(409, "cannot_disable_self", "an admin cannot disable their own account", {"user_id": user_id})
    return await _set_active(user_id, False, deps)


@router.post("/admin/users/{user_id}/enable")
async def enable_user(user_id: UserId, caller: AdminDep, deps: DepsDep) -> dict[str, Any]:
    """The account may log in again (its old tokens stay revoked only if they were); idempotent."""
    return await _set_active(user_id, True, deps)
