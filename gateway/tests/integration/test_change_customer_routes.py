"""Change customer through the gateway (§1.5.2): QR lookup, temporary visit, refusals, plan counts."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from baifang_common.demo import demo_org
from baifang_common.qr import sign_qr
from baifang_common.timeutil import today
from gateway.settings import GatewaySettings
from planning import demo as planning_demo
from planning.bootstrap import build_grpc
from planning.domain.model import Customer
from planning.grpc_api import servicer as planning_servicer
from planning.settings import PlanningSettings

pytestmark = pytest.mark.integration


def _outlet(cid: str, manager_id: str, team_id: str) -> Customer:
    return Customer(cid, "C" + cid, "临时小卖部", manager_id, team_id, short_code="LS" + cid[-2:], qr_secret="s-" + cid)


@pytest.fixture
def stack(
    settings_for: Callable[..., Any],
    grpc_server: Callable[..., Any],
    make_client: Callable[..., TestClient],
    gateway_settings: GatewaySettings,
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """Demo plans for today plus two outlets on nobody's list: one of m002 (team t01), one of m011 (t02)."""
    settings: PlanningSettings = settings_for(PlanningSettings)
    planning_demo.load_demo(
        settings, demo_org(managers=12), today=today(gateway_settings.timezone), reset=True, customers=40, publish=False
    )
    deps = build_grpc(settings)
    outlets = [_outlet("cx-team01", "m002", "t01"), _outlet("cx-team02", "m011", "t02")]
    deps.customers.upsert_many(outlets)
    server, _ = grpc_server([planning_servicer(deps)])
    qr = {c.id: sign_qr(c.id, c.qr_secret) for c in outlets}
    yield make_client(planning_addr=f"127.0.0.1:{server.port}"), qr
    deps.close()


def _headers(client: TestClient, login: Callable[..., Any], user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(client, user)['access_token']}"}


def test_scan_an_unlisted_outlet_add_it_and_see_it_counted(stack, login) -> None:
    client, qr = stack
    m001 = _headers(client, login, "m001")
    lookup = client.get("/api/v1/customers/lookup", params={"qr": qr["cx-team01"]}, headers=m001)
    assert lookup.status_code == 200, lookup.text
    assert (lookup.json()["on_list"], lookup.json()["may_add"], lookup.json()["visit"]) == (False, True, None)
    assert lookup.json()["customer"]["short_code"] == "LS01"

    body = {"op_id": str(uuid.uuid4()), "qr": qr["cx-team01"], "task_codes": ["T01", "T02"]}
    created = client.post("/api/v1/visits", json=body, headers=m001)
    assert created.status_code == 201, created.text
    visit = created.json()
    assert (visit["temporary"], visit["created"], visit["status"], len(visit["tasks"])) == (True, True, "planned", 2)
    replay = client.post("/api/v1/visits", json=body, headers=m001)
    assert (replay.status_code, replay.json()) == (201, visit)
    twice = client.post("/api/v1/visits", json={**body, "op_id": str(uuid.uuid4())}, headers=m001)
    assert (twice.status_code, twice.json()["visit_id"], twice.json()["created"]) == (200, visit["visit_id"], False)

    listed = client.get("/api/v1/customers/lookup", params={"qr": qr["cx-team01"]}, headers=m001).json()
    assert (listed["on_list"], listed["visit"]["visit_id"], listed["may_add"]) == (True, visit["visit_id"], False)
    items = client.get("/api/v1/visits", headers=m001).json()["items"]
    mine = next(v for v in items if v["visit_id"] == visit["visit_id"])
    assert (mine["temporary"], mine["customer"]["short_code"]) == (True, "LS01")
    day = client.get("/api/v1/plans/summary", params={"period": "day"}, headers=m001).json()
    assert day["temporary_customers"] == 1
    assert day["planned_customers"] == len(items)

    early = client.post(
        f"/api/v1/visits/{visit['visit_id']}/complete",
        json={"op_id": str(uuid.uuid4()), "client_ts": "2026-11-28T10:00:00+08:00"},
        headers=m001,
    )
    assert (early.status_code, early.json()["error"]["code"]) == (409, "not_checked_in")


def test_change_customer_refusals(stack, login) -> None:
    client, qr = stack
    m001 = _headers(client, login, "m001")
    other_team = client.get("/api/v1/customers/lookup", params={"qr": qr["cx-team02"]}, headers=m001)
    assert (other_team.status_code, other_team.json()["error"]["code"]) == (403, "forbidden")
    assert "临时小卖部" not in other_team.text
    forged = client.get("/api/v1/customers/lookup", params={"qr": qr["cx-team01"][:-3] + "xyz"}, headers=m001)
    assert (forged.status_code, forged.json()["error"]["code"]) == (422, "invalid_qr")

    def post(body: dict[str, Any], who: dict[str, str] = m001) -> Any:
        return client.post("/api/v1/visits", json={"op_id": str(uuid.uuid4()), **body}, headers=who)

    refused = [
        (post({"qr": qr["cx-team02"], "task_codes": ["T01"]}), 403, "forbidden"),
        (post({"qr": qr["cx-team01"], "task_codes": []}), 422, "no_tasks_chosen"),
        (post({"qr": qr["cx-team01"], "task_codes": ["T01", "NOPE"]}), 422, "unknown_task_code"),
        (post({"qr": "BF1.cx-team01.forged", "task_codes": ["T01"]}), 422, "invalid_qr"),
        (post({"customer_id": "no-such", "task_codes": ["T01"]}), 404, "customer_not_found"),
        (post({"qr": qr["cx-team01"], "task_codes": ["T01"]}, _headers(client, login, "s01")), 403, "forbidden"),
    ]
    for response, status, code in refused:
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.text
    details = refused[2][0].json()["error"]["details"]
    assert details["task_codes"] == ["NOPE"]
