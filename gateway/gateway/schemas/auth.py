"""Request bodies of /auth/*."""

from __future__ import annotations

from pydantic import Field

from gateway.schemas.common import ApiModel


class LoginRequest(ApiModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    remember: bool = False


class RefreshRequest(ApiModel):
    refresh_token: str = Field(min_length=1, max_length=256)


class LogoutRequest(ApiModel):
    """Optional: a client logged in without `remember` holds only its access token (the bearer)."""

    refresh_token: str | None = Field(default=None, min_length=1, max_length=256)
