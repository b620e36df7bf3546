"""Planning routes through the gateway to the real planning servicer (started in-process, demo data)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from baifang_common.demo import demo_org
from baifang_common.timeutil import today
from gateway.settings import GatewaySettings
from planning import demo as planning_demo
from planning.bootstrap import build_grpc
from planning.grpc_api import servicer as planning_servicer
from planning.settings import PlanningSettings

pytestmark = pytest.mark.integration


@pytest.fixture
def planning_client(
    settings_for: Callable[..., Any],
    grpc_server: Callable[..., Any],
    make_client: Callable[..., TestClient],
    gateway_settings: GatewaySettings,
) -> Iterator[TestClient]:
    settings: PlanningSettings = settings_for(PlanningSettings)
    day: date = today(gateway_settings.timezone)
    planning_demo.load_demo(settings, demo_org(managers=12), today=day, reset=True, customers=40, publish=False)
    deps = build_grpc(settings)
    server, _ = grpc_server([planning_servicer(deps)])
    yield make_client(planning_addr=f"127.0.0.1:{server.port}")
    deps.close()


def _headers(client: TestClient, login: Callable[..., Any], user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(client, user)['access_token']}"}


def test_visit_list_detail_and_completion_rules(planning_client: TestClient, login: Callable[..., Any]) -> None:
    headers = _headers(planning_client, login, "m001")
    listing = planning_client.get("/api/v1/visits", headers=headers)
    assert listing.status_code == 200, listing.text
    items = listing.json()["items"]
    assert items, "the demo plans today for every manager"
    item = items[0]
    assert set(item) >= {"visit_id", "customer", "method", "status", "temporary", "tasks_total", "tasks_done", "order"}
    assert set(item["customer"]) >= {"id", "name", "code", "star", "terminal_type", "address", "location"}

    planned = next((v for v in items if v["status"] == "planned"), None)
    detail = planning_client.get(f"/api/v1/visits/{item['visit_id']}", headers=headers)
    assert detail.status_code == 200
    body = detail.json()
    assert body["customer"]["licence_no"] is not None
    assert all(set(t) >= {"task_id", "code", "name", "status", "method"} for t in body["tasks"])

    if planned is not None and body["tasks"]:
        task_id = planning_client.get(f"/api/v1/visits/{planned['visit_id']}", headers=headers).json()["tasks"][0][
            "task_id"
        ]
        early = planning_client.post(
            f"/api/v1/visits/{planned['visit_id']}/tasks/{task_id}/complete",
            json={"op_id": str(uuid.uuid4()), "client_ts": "2025-06-02T09:00:00+08:00"},
            headers=headers,
        )
        assert early.status_code == 409
        assert early.json()["error"]["code"] == "not_checked_in"

    missing = planning_client.get("/api/v1/visits/no-such-visit", headers=headers)
    assert missing.status_code == 404
    other = planning_client.get(f"/api/v1/visits/{item['visit_id']}", headers=_headers(planning_client, login, "m011"))
    assert other.status_code in (403, 404)


def test_summary_library_and_admin_qr(planning_client: TestClient, login: Callable[..., Any]) -> None:
    headers = _headers(planning_client, login, "m001")
    summary = planning_client.get("/api/v1/plans/summary?period=week", headers=headers)
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert body["period"] == "week"
    assert len(body["rows"]) == 7
    assert set(body["rows"][0]) == {
        "date",
        "planned_customers",
        "completed_customers",
        "planned_tasks",
        "executed_tasks",
        "temporary_customers",
    }
    assert planning_client.get("/api/v1/plans/summary?period=year", headers=headers).status_code == 400

    library = planning_client.get("/api/v1/tasks/library", headers=headers)
    assert library.status_code == 200
    assert all(t["method"] for t in library.json()["items"])

    customer_id = planning_client.get("/api/v1/visits", headers=headers).json()["items"][0]["customer"]["id"]
    admin = _headers(planning_client, login, "admin")
    qr = planning_client.get(f"/api/v1/admin/customers/{customer_id}/qr", headers=admin)
    assert qr.status_code == 200, qr.text
    assert qr.json()["qr"].startswith("BF1.")
    svg = planning_client.get(f"/api/v1/admin/customers/{customer_id}/qr.svg", headers=admin)
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content
