"""Admin device keys against the real store (planning, real, knows the customers): created once, listed without
keys, revoked, cached briefly."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from baifang_common.testing.wait import wait_until

pytestmark = pytest.mark.integration

Headers = Callable[[str], dict[str, str]]


@pytest.fixture
def client(make_client: Callable[..., TestClient], planning_addr: str) -> TestClient:
    """The gateway with the real planning (a device's customer must exist); checkin stays down."""
    return make_client(planning_addr=planning_addr)


def _create(client: TestClient, headers: dict[str, str], customer_id: str = "cu000001", name: str = "收银台 1") -> dict:
    response = client.post("/api/v1/admin/devices", json={"customer_id": customer_id, "name": name}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict = response.json()
    return body


def test_a_device_is_created_with_a_key_shown_once_and_listed_without_it(
    client: TestClient, auth_headers: Headers
) -> None:
    admin = auth_headers("admin")
    created = _create(client, admin)
    assert set(created) == {"device_id", "key", "customer_id", "name"}
    assert (created["customer_id"], created["name"]) == ("cu000001", "收银台 1")
    assert len(created["key"]) >= 43
    other = _create(client, admin, customer_id="cu000002", name="front")
    assert other["key"] != created["key"]

    listing = client.get("/api/v1/admin/devices", headers=admin)
    assert listing.status_code == 200
    items = listing.json()["items"]
    assert [d["device_id"] for d in items] == [created["device_id"], other["device_id"]]
    assert all(d["active"] and d["revoked_at"] is None and d["created_at"] for d in items)
    assert created["key"] not in listing.text and "key" not in items[0]

    first = client.get("/api/v1/admin/devices?limit=1", headers=admin).json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    rest = client.get(f"/api/v1/admin/devices?limit=1&cursor={first['next_cursor']}", headers=admin).json()
    assert [d["device_id"] for d in rest["items"]] == [other["device_id"]] and rest["next_cursor"] is None
    mine = client.get("/api/v1/admin/devices?customer_id=cu000002", headers=admin).json()["items"]
    assert [d["device_id"] for d in mine] == [other["device_id"]]


def test_only_an_admin_manages_devices(client: TestClient, auth_headers: Headers) -> None:
    for user in ("m001", "s01"):
        headers = auth_headers(user)
        refused = client.post("/api/v1/admin/devices", json={"customer_id": "cu000001", "name": "x"}, headers=headers)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
        assert client.get("/api/v1/admin/devices", headers=headers).status_code == 403
        assert client.post("/api/v1/admin/devices/dev-x/revoke", headers=headers).status_code == 403
    assert client.post("/api/v1/admin/devices", json={"customer_id": "cu000001", "name": "x"}).status_code == 401


def test_bad_device_bodies_are_400(client: TestClient, auth_headers: Headers) -> None:
    admin = auth_headers("admin")
    for body in ({"name": "x"}, {"customer_id": "", "name": "x"}, {"customer_id": "cu000001", "name": "x" * 300}):
        response = client.post("/api/v1/admin/devices", json=body, headers=admin)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_request"


def test_a_device_for_a_customer_that_does_not_exist_is_refused(client: TestClient, auth_headers: Headers) -> None:
    admin = auth_headers("admin")
    response = client.post("/api/v1/admin/devices", json={"customer_id": "cu999999", "name": "pos"}, headers=admin)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "customer_not_found"), response.text
    assert client.get("/api/v1/admin/devices", headers=admin).json()["items"] == []


def test_a_revoked_key_is_refused_and_revoking_again_changes_nothing(client: TestClient, auth_headers: Headers) -> None:
    admin = auth_headers("admin")
    created = _create(client, admin)
    device = {"X-Device-Key": created["key"]}
    # the checkin service is down in this test: a known key gets past authentication to a 503
    assert client.post("/api/v1/scans", json={"scans": []}, headers=device).status_code == 503

    revoked = client.post(f"/api/v1/admin/devices/{created['device_id']}/revoke", headers=admin)
    assert revoked.status_code == 200
    assert revoked.json()["active"] is False and revoked.json()["revoked_at"]
    again = client.post(f"/api/v1/admin/devices/{created['device_id']}/revoke", headers=admin)
    assert again.json() == revoked.json()
    refused = client.post("/api/v1/scans", json={"scans": []}, headers=device)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_device_key"
    missing = client.post("/api/v1/admin/devices/dev-nope/revoke", headers=admin)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")


def test_missing_or_unknown_keys_are_401_invalid_device_key(client: TestClient, auth_headers: Headers) -> None:
    for headers in ({}, {"X-Device-Key": ""}, {"X-Device-Key": "not-a-key"}, {"X-Device-Key": "k" * 1000}):
        response = client.post("/api/v1/scans", json={"scans": []}, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_device_key"
    # a manager's bearer token is not a device key
    manager = client.post("/api/v1/scans", json={"scans": []}, headers=auth_headers("m001"))
    assert (manager.status_code, manager.json()["error"]["code"]) == (401, "invalid_device_key")


def test_another_gateway_process_stops_a_revoked_key_within_the_cache_time(
    make_client: Callable[..., TestClient], auth_headers: Headers, client: TestClient
) -> None:
    """Two apps over one store: the one that did not revoke keeps its cached answer for at most the TTL."""
    other = make_client(device_cache_seconds=1.0)
    admin = auth_headers("admin")
    created = _create(client, admin)
    device = {"X-Device-Key": created["key"]}
    assert other.post("/api/v1/scans", json={"scans": []}, headers=device).status_code == 503  # known: cached
    client.post(f"/api/v1/admin/devices/{created['device_id']}/revoke", headers=admin)
    assert client.post("/api/v1/scans", json={"scans": []}, headers=device).status_code == 401  # at once here
    assert other.post("/api/v1/scans", json={"scans": []}, headers=device).status_code == 503  # still cached
    wait_until(
        lambda: other.post("/api/v1/scans", json={"scans": []}, headers=device).status_code == 401,
        timeout=5.0,
        interval=0.1,
        what="the other process to drop the revoked key from its cache",
    )
