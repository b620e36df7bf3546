"""POST /sync and POST /visits/{id}/unplanned-tasks: envelope validation at the gateway, and the whole
path through the real checkin and planning servicers (in-process)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from fastapi.testclient import TestClient

from gateway.settings import GatewaySettings

pytestmark = pytest.mark.integration


def _headers(client: TestClient, login: Callable[..., Any], user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(client, user)['access_token']}"}


def _op(type_: str, payload: Any, client_ts: str = "2026-03-03T09:00:00+08:00", **extra: Any) -> dict[str, Any]:
    return {"op_id": str(uuid.uuid4()), "type": type_, "payload": payload, "client_ts": client_ts, **extra}


@pytest.mark.parametrize(("body", "field"), [({}, "ops"), ({"ops": "all of them"}, "ops"), ({"ops": None}, "ops")])
def test_a_body_without_a_list_of_ops_is_400_naming_the_field_before_any_service_is_called(
    client: TestClient, auth_headers: Callable[[str], dict[str, str]], body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/sync", json=body, headers=auth_headers("m001"))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert field in error["details"], error


def test_ops_the_gateway_refuses_alone_need_no_service(
    client: TestClient, auth_headers: Callable[[str], dict[str, str]]
) -> None:
    """Every op malformed: answered per op by the gateway itself (the services are down in this test)."""
    ops = [_op("checkin", {}, op_id="not-a-uuid"), _op("checkin", ["qr"]), "an op?"]
    response = client.post("/api/v1/sync", json={"ops": ops}, headers=auth_headers("m001"))
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["op_id"], r["status"], r["error"]["code"]) for r in results] == [
        ("not-a-uuid", "rejected", "invalid_request"),
        (ops[1]["op_id"], "rejected", "invalid_request"),
        ("", "rejected", "invalid_request"),
    ]
    assert "op_id" in results[0]["error"]["details"] and "payload" in results[1]["error"]["details"]
    supervisor = client.post("/api/v1/sync", json={"ops": ops}, headers=auth_headers("s01"))
    assert (supervisor.status_code, supervisor.json()["error"]["code"]) == (403, "forbidden")


def test_sync_needs_a_token(client: TestClient) -> None:
    response = client.post("/api/v1/sync", json={"ops": []})
    assert (response.status_code, response.json()["error"]["code"]) == (401, "unauthenticated")


def test_an_unplanned_task_needs_text(client: TestClient, auth_headers: Callable[[str], dict[str, str]]) -> None:
    response = client.post(
        "/api/v1/visits/v1/unplanned-tasks", json={"op_id": str(uuid.uuid4()), "text": ""}, headers=auth_headers("m001")
    )
    assert response.status_code == 400
    assert "text" in response.json()["error"]["details"]


def test_an_offline_visit_syncs_in_client_time_order_and_a_replay_is_all_duplicate(
    stack_client: TestClient, login: Callable[..., Any], gateway_settings: GatewaySettings
) -> None:
    manager = _headers(stack_client, login, "m001")
    admin = _headers(stack_client, login, "admin")
    visits = stack_client.get("/api/v1/visits", headers=manager).json()["items"]
    visit = next(v for v in visits if v["method"] == "on_site")
    detail = stack_client.get(f"/api/v1/visits/{visit['visit_id']}", headers=manager).json()
    customer = visit["customer"]
    qr = stack_client.get(f"/api/v1/admin/customers/{customer['id']}/qr", headers=admin).json()["qr"]
    start = datetime.now(ZoneInfo(gateway_settings.timezone)).replace(hour=9, minute=0, second=0, microsecond=0)

    def ts(minutes: int) -> str:
        return (start + timedelta(minutes=minutes)).isoformat()

    vid = detail["visit_id"]
    basic = [t for t in detail["tasks"] if t["kind"] == "basic"]
    other = [t for t in detail["tasks"] if t["kind"] != "basic"]
    position = {"lat": customer["location"]["lat"], "lon": customer["location"]["lon"], "accuracy_m": 10}
    ops = [
        _op("visit.complete", {"visit_id": vid, "summary": "正常"}, ts(50)),
        *[_op("task.complete", {"visit_id": vid, "task_id": t["task_id"]}, ts(10 + i)) for i, t in enumerate(basic)],
        *[_op("task.complete", {"visit_id": vid, "task_id": t["task_id"]}, ts(20 + i)) for i, t in enumerate(other)],
        _op("unplanned_task", {"visit_id": vid, "text": "帮客户调整价签"}, ts(30)),
        _op("checkin", {"qr": qr, **position}, ts(0)),
        _op("collection.price_inventory", {"visit_id": vid}, ts(40)),
    ]

    first = stack_client.post("/api/v1/sync", json={"ops": ops}, headers=manager)

    assert first.status_code == 200, first.text
    results = first.json()["results"]
    assert [r["op_id"] for r in results] == [o["op_id"] for o in ops]
    by_type = [(o["type"], r["status"], r.get("error", {}).get("code")) for o, r in zip(ops, results, strict=True)]
    expected = (
        [("visit.complete", "applied", None)]
        + [("task.complete", "applied", None)] * len(basic)
        + [("task.complete", "rejected", "task_online_only")] * len(other)
        + [("unplanned_task", "applied", None), ("checkin", "applied", None)]
        + [("collection.price_inventory", "rejected", "unsupported_op_type")]
    )
    assert by_type == expected
    checkin = results[-2]["result"]
    assert set(checkin) == {
        "checkin_id",
        "visit_id",
        "customer_id",
        "distance_m",
        "verdict",
        "verdict_reason",
        "checked_in_at",
    }
    assert (checkin["visit_id"], checkin["verdict"], checkin["checked_in_at"]) == (vid, "ok", ts(0))
    assert results[0]["result"]["visit"]["tasks_done"] == len(basic)

    replay = stack_client.post("/api/v1/sync", json={"ops": ops}, headers=manager).json()["results"]
    applied = [i for i, r in enumerate(results) if r["status"] == "applied"]
    assert [replay[i]["status"] for i in applied] == ["duplicate"] * len(applied)
    assert [replay[i]["result"] for i in applied] == [results[i]["result"] for i in applied]

    after = stack_client.get(f"/api/v1/visits/{vid}", headers=manager).json()
    assert (after["status"], after["completed_at"], after["tasks_done"]) == ("completed", ts(50), len(basic))
    assert after["unplanned_tasks"] == [{"text": "帮客户调整价签", "client_ts": ts(30)}]

    late = stack_client.post(
        f"/api/v1/visits/{vid}/unplanned-tasks", json={"op_id": str(uuid.uuid4()), "text": "补记"}, headers=manager
    )
    assert (late.status_code, late.json()["error"]["code"]) == (409, "visit_closed")


def test_an_unplanned_task_is_recorded_online_once_per_op_id(
    stack_client: TestClient, login: Callable[..., Any]
) -> None:
    manager = _headers(stack_client, login, "m001")
    admin = _headers(stack_client, login, "admin")
    visit = next(
        v for v in stack_client.get("/api/v1/visits", headers=manager).json()["items"] if v["method"] == "on_site"
    )
    url = f"/api/v1/visits/{visit['visit_id']}/unplanned-tasks"
    body = {"op_id": str(uuid.uuid4()), "text": "协助客户清点库存", "client_ts": "2026-03-03T10:00:00+08:00"}
    before = stack_client.post(url, json=body, headers=manager)
    assert (before.status_code, before.json()["error"]["code"]) == (409, "not_checked_in")

    customer = visit["customer"]
    qr = stack_client.get(f"/api/v1/admin/customers/{customer['id']}/qr", headers=admin).json()["qr"]
    checkin = {
        "op_id": str(uuid.uuid4()),
        "qr": qr,
        **customer["location"],
        "accuracy_m": 10,
        "client_ts": datetime.now(ZoneInfo("Asia/Shanghai")).isoformat(),
    }
    assert stack_client.post("/api/v1/checkins", json=checkin, headers=manager).status_code == 201
    first = stack_client.post(url, json=body, headers=manager)
    again = stack_client.post(url, json=body, headers=manager)
    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()) == (201, first.json())
    assert first.json()["unplanned_tasks"] == [{"text": "协助客户清点库存", "client_ts": "2026-03-03T10:00:00+08:00"}]
    assert first.json()["tasks_total"] == visit["tasks_total"]


def _raw_op(payload: bytes, client_ts: str = "2026-03-03T09:00:00+08:00") -> bytes:
    return b'{"op_id": "%s", "type": "checkin", "payload": %s, "client_ts": "%s"}' % (
        str(uuid.uuid4()).encode(),
        payload,
        client_ts.encode(),
    )


BAD_PAYLOADS = {
    "nested 200 levels": b'{"a": ' * 200 + b"1" + b"}" * 200,
    "arrays nested 300 levels": b'{"a": ' + b"[" * 300 + b"]" * 300 + b"}",
    "NaN": b'{"qr": "x", "lat": NaN, "lon": 1, "accuracy_m": 5}',
    "Infinity": b'{"qr": "x", "lat": Infinity, "lon": 1, "accuracy_m": 5}',
    "1e309": b'{"qr": "x", "lat": 1e309, "lon": 1, "accuracy_m": 5}',
    "400 digits": b'{"qr": "x", "lat": ' + b"9" * 400 + b', "lon": 1, "accuracy_m": 5}',
    "a lone surrogate": b'{"qr": "\\ud800", "lat": 1, "lon": 1, "accuracy_m": 5}',
    "a huge string": b'{"qr": "' + b"q" * 20_000 + b'", "lat": 1, "lon": 1, "accuracy_m": 5}',
    "a malformed envelope": b'{"qr": "x"}, "type": ""',
}


def test_an_op_out_of_bounds_is_rejected_alone_and_the_rest_of_the_batch_is_applied(
    stack_client: TestClient, login: Callable[..., Any], gateway_settings: GatewaySettings
) -> None:
    manager = _headers(stack_client, login, "m001")
    admin = _headers(stack_client, login, "admin")
    visit = next(
        v for v in stack_client.get("/api/v1/visits", headers=manager).json()["items"] if v["method"] == "on_site"
    )
    customer = visit["customer"]
    qr = stack_client.get(f"/api/v1/admin/customers/{customer['id']}/qr", headers=admin).json()["qr"]
    good = orjson.dumps({"qr": qr, **customer["location"], "accuracy_m": 8})
    raw_ops = [_raw_op(bad) for bad in BAD_PAYLOADS.values()]
    raw_ops.insert(3, _raw_op(good, datetime.now(ZoneInfo(gateway_settings.timezone)).isoformat()))
    body = b'{"ops": [' + b", ".join(raw_ops) + b"]}"

    response = stack_client.post("/api/v1/sync", content=body, headers={**manager, "Content-Type": "application/json"})

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == len(raw_ops)
    applied = results.pop(3)
    assert (applied["status"], applied["result"]["visit_id"]) == ("applied", visit["visit_id"])
    for name, result in zip(BAD_PAYLOADS, results, strict=True):
        assert (result["status"], result["error"]["code"]) == ("rejected", "invalid_request"), (name, result)
        assert result["error"]["details"], name
