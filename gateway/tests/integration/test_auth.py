"""Login, refresh rotation, logout and the caller's identity, against the real Redis and store."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from gateway.settings import DEV_JWT_SECRET

pytestmark = pytest.mark.integration

Login = Callable[..., dict[str, Any]]


def test_login_answers_tokens_and_the_user(client: TestClient, login: Login) -> None:
    body = login(client, "m001")
    assert body["expires_in"] == 15 * 60
    assert "refresh_token" not in body
    assert body["user"]["id"] == "m001"
    assert body["user"]["role"] == "manager"
    assert body["user"]["team_id"] == "t01"
    assert body["user"]["name"]


def test_wrong_password_is_401_invalid_credentials(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login", json={"username": "m001", "password": "nope", "remember": False})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"
    unknown = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "nope"})
    assert unknown.status_code == 401
    assert unknown.json()["error"]["code"] == "invalid_credentials"


def test_repeated_failures_are_rate_limited_with_retry_after(client: TestClient) -> None:
    for _ in range(5):
        response = client.post("/api/v1/auth/login", json={"username": "m002", "password": "wrong"})
        assert response.status_code == 401
    limited = client.post("/api/v1/auth/login", json={"username": "m002", "password": "wrong"})
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    # even the right password waits out the window; other accounts are unaffected
    assert client.post("/api/v1/auth/login", json={"username": "m002", "password": "correct horse"}).status_code == 429
    assert client.post("/api/v1/auth/login", json={"username": "m003", "password": "correct horse"}).status_code == 200


def test_refresh_rotates_and_a_reused_token_is_refused(client: TestClient, login: Login) -> None:
    first = login(client, "s01", remember=True)
    old = first["refresh_token"]
    rotated = client.post("/api/v1/auth/refresh", json={"refresh_token": old})
    assert rotated.status_code == 200
    pair = rotated.json()
    assert pair["refresh_token"] != old
    assert pair["access_token"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"}).json()["id"] == "s01"
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 200
    reused = client.post("/api/v1/auth/refresh", json={"refresh_token": old})
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "unauthenticated"


def test_logout_revokes_the_refresh_token(client: TestClient, login: Login) -> None:
    token = login(client, "m004", remember=True)["refresh_token"]
    assert client.post("/api/v1/auth/logout", json={"refresh_token": token}).status_code == 204
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": token}).status_code == 401


def test_me_answers_the_caller(client: TestClient, auth_headers: Callable[[str], dict[str, str]]) -> None:
    response = client.get("/api/v1/me", headers=auth_headers("admin"))
    assert response.status_code == 200
    assert response.json() == {"id": "admin", "name": "系统管理员", "role": "admin", "team_id": ""}
    assert "系统管理员".encode() in response.content  # UTF-8 as is, not \\u escapes


def test_missing_or_bad_token_is_401(client: TestClient) -> None:
    missing = client.get("/api/v1/me")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "unauthenticated"
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer not.a.jwt"})
    assert bad.status_code == 401


def test_expired_token_is_401_token_expired(make_client: Callable[..., TestClient], login: Login) -> None:
    short = make_client(access_ttl_seconds=-10)
    token = login(short, "m001")["access_token"]
    response = short.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


def test_manager_on_an_admin_route_is_403(client: TestClient, auth_headers: Callable[[str], dict[str, str]]) -> None:
    response = client.get("/api/v1/admin/customers/c1/qr", headers=auth_headers("m001"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    progress = client.get("/api/v1/team/progress", headers=auth_headers("m001"))
    assert progress.status_code == 403


def _forged(claims: dict[str, Any], secret: str = DEV_JWT_SECRET) -> dict[str, str]:
    now = int(time.time())
    token = jwt.encode({"iat": now, "exp": now + 600, "jti": uuid.uuid4().hex, **claims}, secret, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "ghost", "role": "supervisor", "team": "t03"},  # no such account
        {"sub": "m001", "role": "system", "team": ""},  # a role no account may hold
        {"sub": "m001", "role": "device", "team": ""},
        {"sub": "m001", "role": "supervisor", "team": "t01"},  # a manager claiming more
        {"sub": "s01", "role": "supervisor", "team": "t03"},  # a supervisor claiming another team
    ],
)
def test_a_token_naming_no_active_account_or_another_role_is_401(
    make_client: Callable[..., TestClient], claims: dict[str, Any]
) -> None:
    """Even signed with the right key (here the development one), a token is only as good as its account."""
    client = make_client(jwt_secret=DEV_JWT_SECRET)
    for path in ("/api/v1/team/progress?team_id=t03", "/api/v1/me", "/api/v1/visits"):
        response = client.get(path, headers=_forged(claims))
        assert response.status_code == 401, (path, response.text)
        assert response.json()["error"]["code"] == "unauthenticated"


def test_logout_revokes_the_access_token_it_is_given(client: TestClient, login: Login) -> None:
    first = {"Authorization": f"Bearer {login(client, 'm005')['access_token']}"}
    second = {"Authorization": f"Bearer {login(client, 'm005')['access_token']}"}
    assert client.post("/api/v1/auth/logout", headers=first).status_code == 204
    revoked = client.get("/api/v1/me", headers=first)
    assert (revoked.status_code, revoked.json()["error"]["code"]) == (401, "unauthenticated")
    assert client.get("/api/v1/me", headers=second).status_code == 200  # other sessions live on
    assert client.post("/api/v1/auth/logout", headers=first).status_code == 204  # idempotent


def test_a_reused_refresh_token_revokes_its_whole_family(client: TestClient, login: Login) -> None:
    stolen = login(client, "s02", remember=True)["refresh_token"]
    successor = client.post("/api/v1/auth/refresh", json={"refresh_token": stolen}).json()["refresh_token"]
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": stolen}).status_code == 401  # replay
    after = client.post("/api/v1/auth/refresh", json={"refresh_token": successor})
    assert (after.status_code, after.json()["error"]["code"]) == (401, "unauthenticated")
    other = login(client, "s02", remember=True)["refresh_token"]  # a new login starts a new family
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": other}).status_code == 200


def test_logout_revokes_the_refresh_family(client: TestClient, login: Login) -> None:
    token = login(client, "m006", remember=True)["refresh_token"]
    successor = client.post("/api/v1/auth/refresh", json={"refresh_token": token}).json()["refresh_token"]
    assert client.post("/api/v1/auth/logout", json={"refresh_token": successor}).status_code == 204
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": successor}).status_code == 401
