"""Appointments through the gateway (P-003-3..5): booking, short-notice warning, ownership, the day's list."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from gateway.settings import GatewaySettings
from planning.bootstrap import build_grpc
from planning.domain.model import Customer
from planning.grpc_api import servicer as planning_servicer
from planning.settings import PlanningSettings

pytestmark = pytest.mark.integration


@pytest.fixture
def client(
    settings_for: Callable[..., Any],
    grpc_server: Callable[..., Any],
    make_client: Callable[..., TestClient],
    gateway_settings: GatewaySettings,
) -> Iterator[TestClient]:
    deps = build_grpc(settings_for(PlanningSettings))
    deps.customers.upsert_many(
        [Customer("ap-c1", "AP1", "张记烟酒", "m001", "t01"), Customer("ap-c2", "AP2", "李记超市", "m011", "t02")]
    )
    server, _ = grpc_server([planning_servicer(deps)])
    yield make_client(planning_addr=f"127.0.0.1:{server.port}")
    deps.close()


def test_booking_warns_on_short_notice_and_lists_the_day(client: TestClient, login: Callable[..., Any]) -> None:
    m001 = {"Authorization": f"Bearer {login(client, 'm001')['access_token']}"}
    tz = ZoneInfo("Asia/Shanghai")
    soon = (datetime.now(tz) + timedelta(hours=3)).replace(microsecond=0)
    later = (datetime.now(tz) + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)

    def book(at: datetime, customer: str = "ap-c1", **extra: Any) -> Any:
        body = {"op_id": str(uuid.uuid4()), "customer_id": customer, "scheduled_at": at.isoformat()}
        return client.post(
            "/api/v1/appointments", json={"duration_min": 30, "purpose": "新品推介", **body, **extra}, headers=m001
        )

    short = book(soon)
    assert short.status_code == 201, short.text
    assert short.json()["warnings"] == ["short_notice"]
    planned = book(later, op_id="5f0c6a52-8f8e-4c52-9d0e-1f5a7c1b2d3e")
    assert (planned.status_code, planned.json()["warnings"]) == (201, [])
    assert book(later, op_id="5f0c6a52-8f8e-4c52-9d0e-1f5a7c1b2d3e").json() == planned.json()
    assert planned.json()["date"] == later.date().isoformat()

    past = book(datetime.now(tz) - timedelta(hours=1))
    assert (past.status_code, past.json()["error"]["code"]) == (422, "invalid_appointment")
    assert book(later, customer="ap-c2").status_code == 403
    assert book(later, customer="nope").status_code == 404

    day = client.get("/api/v1/appointments", params={"date": later.date().isoformat()}, headers=m001).json()["items"]
    assert [a["appointment_id"] for a in day] == [planned.json()["appointment_id"]]
    s02 = {"Authorization": f"Bearer {login(client, 's02')['access_token']}"}
    assert client.get("/api/v1/appointments", params={"manager_id": "m001"}, headers=s02).status_code == 403


def test_follow_up_routes_answer_the_callers_own_and_refuse_others(
    client: TestClient, login: Callable[..., Any]
) -> None:
    m001 = {"Authorization": f"Bearer {login(client, 'm001')['access_token']}"}
    listing = client.get("/api/v1/follow-ups", headers=m001)
    assert (listing.status_code, listing.json()["items"]) == (200, [])
    unknown = client.post("/api/v1/follow-ups/fu-nope/done", headers=m001)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "follow_up_not_found")
    s02 = {"Authorization": f"Bearer {login(client, 's02')['access_token']}"}
    assert client.get("/api/v1/follow-ups", params={"manager_id": "m001"}, headers=s02).status_code == 403


def test_reassignment_is_a_supervisors_audited_action_and_is_announced(
    client: TestClient, login: Callable[..., Any], event_probe: Callable[..., Any]
) -> None:
    probe = event_probe("planning", "customer.assigned")

    def headers(user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {login(client, user)['access_token']}"}

    s01, s02, m001, admin = headers("s01"), headers("s02"), headers("m001"), headers("admin")
    body = {"op_id": str(uuid.uuid4()), "manager_id": "m002", "reason": "片区调整"}
    url = "/api/v1/customers/ap-c1/assignment"
    moved = client.post(url, json=body, headers=s01)
    assert moved.status_code == 201, moved.text
    assert (moved.json()["previous_manager_id"], moved.json()["manager_id"]) == ("m001", "m002")
    assert client.post(url, json=body, headers=s01).json() == moved.json()
    (event,) = probe.wait(1)
    assert (event["manager_id"], event["previous_manager_id"], event["assigned_by"]) == ("m002", "m001", "s01")

    for who in (m001, s02):
        refused = client.post(url, json={**body, "op_id": str(uuid.uuid4())}, headers=who)
        assert refused.status_code == 403
    assert client.post(url, json={**body, "op_id": str(uuid.uuid4()), "team_id": "t02"}, headers=s01).status_code == 403
    admin_move = {"op_id": str(uuid.uuid4()), "manager_id": "m011", "team_id": "t02", "reason": "跨组调整"}
    assert client.post(url, json=admin_move, headers=admin).status_code == 201
    history = client.get("/api/v1/customers/ap-c1/assignments", headers=admin).json()["items"]
    assert [(h["manager_id"], h["assigned_by"]) for h in history] == [("m002", "s01"), ("m011", "admin")]
    assert client.get("/api/v1/customers/ap-c1/assignments", headers=s01).status_code == 403
