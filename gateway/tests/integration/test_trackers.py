"""Standard GPS trackers through the gateway: an admin issues a manager's key, a phone sends OsmAnd requests
(query, form, Traccar Client JSON) that reach the real checkin servicer, which publishes them durably as the
manager's points to this test's RabbitMQ vhost."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration

Headers = Callable[[str], dict[str, str]]
OSMAND = "/api/v1/osmand"
TRACKERS = "/api/v1/admin/trackers"


def _issue(client: TestClient, admin: dict[str, str], manager_id: str = "m004") -> dict[str, Any]:
    created = client.post(TRACKERS, json={"manager_id": manager_id, "name": "Traccar Client"}, headers=admin)
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def test_an_admin_issues_lists_and_revokes_trackers(stack_client: TestClient, auth_headers: Headers) -> None:
    admin = auth_headers("admin")
    created = _issue(stack_client, admin)
    assert (created["manager_id"], created["name"], created["active"]) == ("m004", "Traccar Client", True)
    assert len(created["key"]) >= 43 and created["tracker_id"].startswith("trk-")
    listing = stack_client.get(TRACKERS, params={"manager_id": "m004"}, headers=admin)
    assert [t["tracker_id"] for t in listing.json()["items"]] == [created["tracker_id"]]
    assert created["key"] not in listing.text

    for manager_id in ("nobody", "s01"):
        refused = stack_client.post(TRACKERS, json={"manager_id": manager_id, "name": "x"}, headers=admin)
        assert (refused.status_code, refused.json()["error"]["code"]) == (404, "manager_not_found")
    for user in ("m004", "s01"):
        assert stack_client.get(TRACKERS, headers=auth_headers(user)).status_code == 403

    revoked = stack_client.post(f"{TRACKERS}/{created['tracker_id']}/revoke", headers=admin)
    assert (revoked.status_code, revoked.json()["active"]) == (200, False)
    again = stack_client.post(f"{TRACKERS}/{created['tracker_id']}/revoke", headers=admin)
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    assert stack_client.post(f"{TRACKERS}/trk-none/revoke", headers=admin).status_code == 404
    refused = stack_client.get(OSMAND, params={"id": created["key"], "lat": "31.8", "lon": "117.2"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "invalid_tracker_key")


def test_each_request_shape_becomes_a_point_of_the_manager(
    stack_client: TestClient, auth_headers: Headers, event_probe: Callable[..., Any]
) -> None:
    key = _issue(stack_client, auth_headers("admin"))["key"]
    probe = event_probe("checkin", "track.batch_accepted")
    now = datetime.now(UTC).replace(microsecond=0)
    seconds = str(int((now - timedelta(minutes=3)).timestamp()))
    millis = str(int((now - timedelta(minutes=2)).timestamp() * 1000) + 125)
    query = stack_client.get(
        OSMAND, params={"id": key, "lat": "31.81", "lon": "117.21", "timestamp": seconds, "speed": "2", "batt": "80"}
    )
    assert (query.status_code, query.json()) == (200, {"accepted": 1, "rejected": []})
    form = stack_client.post(
        OSMAND,
        content=f"id={key}&location=31.812%2C117.212&timestamp={millis}&bearing=45&accuracy=6",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (form.status_code, form.json()["accepted"]) == (200, 1), form.text
    traccar = {
        "device_id": key,
        "location": {
            "timestamp": (now - timedelta(minutes=1)).isoformat().replace("+00:00", "Z"),
            "coords": {"latitude": 31.814, "longitude": 117.214, "speed": 1.5, "heading": 90, "accuracy": 4},
            "battery": {"level": 0.5},
            "is_moving": True,
        },
    }
    body = stack_client.post(OSMAND, content=orjson.dumps(traccar), headers={"Content-Type": "application/json"})
    assert (body.status_code, body.json()["accepted"]) == (200, 1), body.text

    events = probe.wait(3)
    assert {e["manager_id"] for e in events} == {"m004"}
    points = [e["points"][0] for e in events]
    assert [(p["lat"], p["lon"]) for p in points] == [(31.81, 117.21), (31.812, 117.212), (31.814, 117.214)]
    assert points[0]["speed_mps"] == pytest.approx(2 * 0.514444, abs=1e-5)
    assert points[1]["ts"].endswith(".125+00:00") and points[1]["heading"] == 45.0
    assert (points[2]["speed_mps"], points[2]["accuracy_m"]) == (1.5, 4)

    # the phone resends a fix whose answer it lost: the same batch, so the same event id (dropped downstream)
    stack_client.get(
        OSMAND, params={"id": key, "lat": "31.81", "lon": "117.21", "timestamp": seconds, "speed": "2", "batt": "80"}
    )
    assert probe.wait(4)[3]["event_id"] == events[0]["event_id"]


def test_no_fix_malformed_and_unknown_keys(stack_client: TestClient, auth_headers: Headers) -> None:
    key = _issue(stack_client, auth_headers("admin"))["key"]
    heartbeat = stack_client.post(OSMAND, params={"id": key, "notificationToken": "fcm-token"})
    assert (heartbeat.status_code, heartbeat.json()) == (200, {"accepted": 0, "rejected": []})
    for params, field in (
        ({"lat": "31.8", "lon": "east"}, "lon"),
        ({"lat": "95", "lon": "117"}, "lat"),
        ({"location": "31.8"}, "location"),
        ({"lat": "31.8", "lon": "117.2", "timestamp": "tomorrow at noon"}, "timestamp"),
    ):
        refused = stack_client.get(OSMAND, params={"id": key, **params})
        assert refused.status_code == 400, refused.text
        error = refused.json()["error"]
        assert (error["code"], error["details"]["field"]) == ("invalid_osmand_request", field)
    broken = stack_client.post(OSMAND, content=b'{"device_id": "', headers={"Content-Type": "application/json"})
    assert (broken.status_code, broken.json()["error"]["details"]["field"]) == (400, "body")
    for params in ({"id": "not-a-key", "lat": "31.8", "lon": "117.2"}, {"lat": "31.8", "lon": "117.2"}):
        assert stack_client.get(OSMAND, params=params).status_code == 401
    old = str(int((datetime.now(UTC) - timedelta(days=30)).timestamp()))
    stale = stack_client.get(OSMAND, params={"id": key, "lat": "31.8", "lon": "117.2", "timestamp": old})
    too_old = {"accepted": 0, "rejected": [{"index": 0, "reason": "timestamp_too_old"}]}
    assert (stale.status_code, stale.json()) == (200, too_old)
