"""GET /route through the gateway to the real planning and checkin servicers (in-process, demo data)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


def _headers(client: TestClient, login: Callable[..., Any], user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(client, user)['access_token']}"}


def test_the_route_orders_the_remaining_visits_from_the_known_position(
    stack_client: TestClient, login: Callable[..., Any]
) -> None:
    manager = _headers(stack_client, login, "m001")
    remaining = {
        v["visit_id"]
        for v in stack_client.get("/api/v1/visits", headers=manager).json()["items"]
        if v["status"] == "planned" and v["method"] == "on_site"
    }
    first = stack_client.get("/api/v1/route", headers=manager)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["start_source"] == "first_outlet"
    assert {s["visit_id"] for s in body["stops"]} == remaining
    assert body["total_m"] == pytest.approx(sum(s["leg_m"] for s in body["stops"]), abs=1)
    assert body["stops"][-1]["cumulative_m"] == pytest.approx(body["total_m"], abs=1)

    given = stack_client.get("/api/v1/route", params={"lat": 31.9, "lon": 117.3}, headers=manager).json()
    assert (given["start_source"], given["start"]) == ("client", {"lat": 31.9, "lon": 117.3})

    # A check-in gives checkin a live fix: the route then starts there, and that visit is no longer remaining.
    stop = body["stops"][-1]
    admin = _headers(stack_client, login, "admin")
    qr = stack_client.get(f"/api/v1/admin/customers/{stop['customer']['id']}/qr", headers=admin).json()["qr"]
    where = stop["customer"]["location"]
    checkin = {"op_id": str(uuid.uuid4()), "qr": qr, "accuracy_m": 8, "client_ts": datetime.now(UTC).isoformat()}
    assert stack_client.post("/api/v1/checkins", json={**checkin, **where}, headers=manager).status_code == 201
    live = stack_client.get("/api/v1/route", headers=manager).json()
    assert live["start_source"] == "live_fix"
    assert live["start"] == pytest.approx(where)
    assert stop["visit_id"] not in {s["visit_id"] for s in live["stops"]}


def test_another_teams_route_is_refused(stack_client: TestClient, login: Callable[..., Any]) -> None:
    other = stack_client.get(
        "/api/v1/route", params={"manager_id": "m001"}, headers=_headers(stack_client, login, "s02")
    )
    assert (other.status_code, other.json()["error"]["code"]) == (403, "forbidden")
    own = stack_client.get("/api/v1/route", params={"manager_id": "m001"}, headers=_headers(stack_client, login, "s01"))
    assert own.status_code == 200
    bad = stack_client.get("/api/v1/route", params={"lat": 91, "lon": 0}, headers=_headers(stack_client, login, "m001"))
    assert bad.status_code == 400
