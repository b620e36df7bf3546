"""POST /checkins through the gateway to the real checkin and planning servicers (in-process)."""

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


def _checkin(client: TestClient, headers: dict[str, str], qr: str, location: dict[str, float]) -> Any:
    body = {
        "op_id": str(uuid.uuid4()),
        "qr": qr,
        "lat": location["lat"],
        "lon": location["lon"],
        "accuracy_m": 10,
        "client_ts": datetime.now(UTC).isoformat(),
    }
    return body, client.post("/api/v1/checkins", json=body, headers=headers)


def test_checkin_is_201_and_a_replay_answers_the_same(stack_client: TestClient, login: Callable[..., Any]) -> None:
    manager = _headers(stack_client, login, "m001")
    admin = _headers(stack_client, login, "admin")
    visit = stack_client.get("/api/v1/visits", headers=manager).json()["items"][0]
    customer = visit["customer"]
    qr = stack_client.get(f"/api/v1/admin/customers/{customer['id']}/qr", headers=admin).json()["qr"]

    body, first = _checkin(stack_client, manager, qr, customer["location"])
    assert first.status_code == 201, first.text
    answer = first.json()
    assert answer["customer_id"] == customer["id"]
    assert answer["visit_id"] == visit["visit_id"]
    assert answer["verdict"] == "ok"
    replay = stack_client.post("/api/v1/checkins", json=body, headers=manager)
    assert (replay.status_code, replay.json()) == (201, answer)

    forged = qr[:-4] + ("AAAA" if not qr.endswith("AAAA") else "BBBB")
    _, refused = _checkin(stack_client, manager, forged, customer["location"])
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_qr"


def test_an_outlet_not_on_the_list_is_409_with_the_customer(
    stack_client: TestClient, login: Callable[..., Any]
) -> None:
    admin = _headers(stack_client, login, "admin")
    foreign = stack_client.get("/api/v1/visits", headers=_headers(stack_client, login, "m011")).json()["items"][0]
    qr = stack_client.get(f"/api/v1/admin/customers/{foreign['customer']['id']}/qr", headers=admin).json()["qr"]
    _, response = _checkin(stack_client, _headers(stack_client, login, "m001"), qr, foreign["customer"]["location"])
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "customer_not_in_plan"
    assert error["details"]["customer"]["id"] == foreign["customer"]["id"]


def test_a_checkin_against_the_selected_visit_refuses_another_customers_code(
    stack_client: TestClient, login: Callable[..., Any]
) -> None:
    """R-1.5.3-c: way 1 names the selected visit; only that customer's code checks it in (HTTP and /sync)."""
    manager = _headers(stack_client, login, "m001")
    admin = _headers(stack_client, login, "admin")
    chosen, other = stack_client.get("/api/v1/visits", headers=manager).json()["items"][:2]
    assert chosen["customer"]["short_code"]

    def qr_of(visit: dict[str, Any]) -> str:
        return stack_client.get(f"/api/v1/admin/customers/{visit['customer']['id']}/qr", headers=admin).json()["qr"]

    where = other["customer"]["location"]
    body = {"op_id": str(uuid.uuid4()), "qr": qr_of(other), "visit_id": chosen["visit_id"], "accuracy_m": 10, **where}
    body["client_ts"] = datetime.now(UTC).isoformat()
    mismatch = stack_client.post("/api/v1/checkins", json=body, headers=manager)
    assert (mismatch.status_code, mismatch.json()["error"]["code"]) == (422, "qr_mismatch")
    offline = {"op_id": str(uuid.uuid4()), "type": "checkin", "client_ts": body["client_ts"]}
    payload = {k: body[k] for k in ("qr", "visit_id", "lat", "lon", "accuracy_m")}
    (result,) = stack_client.post(
        "/api/v1/sync", json={"ops": [{**offline, "payload": payload}]}, headers=manager
    ).json()["results"]
    assert (result["status"], result["error"]["code"]) == ("rejected", "qr_mismatch")

    matching = {**body, "op_id": str(uuid.uuid4()), "qr": qr_of(chosen), **chosen["customer"]["location"]}
    accepted = stack_client.post("/api/v1/checkins", json=matching, headers=manager)
    assert (accepted.status_code, accepted.json()["visit_id"]) == (201, chosen["visit_id"])
