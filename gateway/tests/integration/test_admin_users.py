"""Admins disable and enable accounts: a disabled account cannot log in, refresh or use its tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from baifang_common.testing.wait import wait_until
from gateway.settings import GatewaySettings

pytestmark = pytest.mark.integration

Login = Callable[..., dict[str, Any]]
PASSWORD = "correct horse"


def _bearer(body: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {body['access_token']}"}


def test_a_disabled_account_is_refused_at_once_and_enabled_again(client: TestClient, login: Login) -> None:
    admin = _bearer(login(client, "admin"))
    session = login(client, "m007", remember=True)

    disabled = client.post("/api/v1/admin/users/m007/disable", headers=admin)
    assert disabled.status_code == 200, disabled.text
    assert disabled.json() == {"id": "m007", "name": disabled.json()["name"], "role": "manager", "team_id": "t01",
                               "active": False}  # fmt: skip
    me = client.get("/api/v1/me", headers=_bearer(session))
    assert (me.status_code, me.json()["error"]["code"]) == (401, "unauthenticated")
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 401
    relogin = client.post("/api/v1/auth/login", json={"username": "m007", "password": PASSWORD})
    assert (relogin.status_code, relogin.json()["error"]["code"]) == (401, "invalid_credentials")
    assert client.post("/api/v1/admin/users/m007/disable", headers=admin).json()["active"] is False  # idempotent

    enabled = client.post("/api/v1/admin/users/m007/enable", headers=admin)
    assert (enabled.status_code, enabled.json()["active"]) == (200, True)
    assert client.get("/api/v1/me", headers=_bearer(login(client, "m007"))).status_code == 200
    # what was issued before the disable stays worthless: enabling does not bring a stolen token back
    assert client.get("/api/v1/me", headers=_bearer(session)).status_code == 401
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 401


def test_another_gateway_process_refuses_a_disabled_account_within_its_cache_time(
    client: TestClient, make_client: Callable[..., TestClient], login: Login, gateway_settings: GatewaySettings
) -> None:
    other = make_client(user_cache_seconds=1.0)
    session = _bearer(login(other, "m008"))
    assert other.get("/api/v1/me", headers=session).status_code == 200  # cached by the other process
    client.post("/api/v1/admin/users/m008/disable", headers=_bearer(login(client, "admin")))
    wait_until(lambda: other.get("/api/v1/me", headers=session).status_code == 401, timeout=5, what="disabled")
    assert gateway_settings.user_cache_seconds <= 30


def test_only_admins_manage_accounts_and_unknown_ones_are_404(client: TestClient, login: Login) -> None:
    for user in ("m001", "s01"):
        refused = client.post("/api/v1/admin/users/m002/disable", headers=_bearer(login(client, user)))
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    assert client.post("/api/v1/admin/users/m002/disable").status_code == 401
    admin = _bearer(login(client, "admin"))
    missing = client.post("/api/v1/admin/users/nobody/enable", headers=admin)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    self_disable = client.post("/api/v1/admin/users/admin/disable", headers=admin)
    assert (self_disable.status_code, self_disable.json()["error"]["code"]) == (409, "cannot_disable_self")
