"""Collection at a visit through the public API, against the whole stack: the ownership cache fed by
planning's events, price & stock bound to the check-in, agreed quantity, terminal information
reaching the customer card in planning, and a supply adjustment decided by the supervisor."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from baifang_common.testing.wait import wait_until

# The first e2e module to run pays for starting and seeding the stack (setup counts against its timeout).
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(480)]


def _op() -> str:
    return str(uuid.uuid4())


def test_a_manager_collects_at_a_checked_in_visit(login):
    # m007: no other module checks m007 in, so no check-in here makes another module's verdict suspect.
    manager, admin, supervisor = login("m007"), login("admin"), login("s01")
    visits = manager.get("/visits").json()["items"]
    visit = next(v for v in visits if v["status"] == "planned" and v["method"] == "on_site")
    customer = visit["customer"]
    form_url = f"/customers/{customer['id']}/price-inventory/form"
    form = wait_until(
        lambda: (answer := manager.get(form_url)).status_code == 200 and answer.json(),
        timeout=10,
        interval=0.2,
        what="the customer in collection's ownership cache",
    )
    line = next(x for x in form["lines"] if x["sku"] == "SKU001")
    assert (line["prev_stock"], line["first"], line["ref_pack_price"]) == (0, True, 4500)

    price_url = f"/visits/{visit['visit_id']}/price-inventory"
    lines = [{"sku": "SKU001", "pack_price": 4600, "carton_price": 46000, "purchased": 10, "stock": 4}]
    early = manager.post(price_url, json={"op_id": _op(), "lines": lines})
    assert (early.status_code, early.json()["error"]["code"]) == (409, "not_checked_in")

    qr = admin.get(f"/admin/customers/{customer['id']}/qr").json()["qr"]
    location = customer["location"]
    checkin = {"op_id": _op(), "qr": qr, "lat": location["lat"], "lon": location["lon"], "accuracy_m": 10.0}
    assert manager.post("/checkins", json={**checkin, "client_ts": datetime.now(UTC).isoformat()}).status_code == 201

    bad = manager.post(price_url, json={"op_id": _op(), "lines": [{**lines[0], "pack_price": 6000}]})
    assert (bad.status_code, bad.json()["error"]["details"]["lines"][0]["field"]) == (422, "pack_price")
    body = {"op_id": _op(), "lines": lines}
    created = manager.post(price_url, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["lines"][0]["sales"] == 6
    assert manager.post(price_url, json=body).json() == created.json()
    history = supervisor.get(f"/customers/{customer['id']}/price-inventory").json()["items"]
    assert [c["collection_id"] for c in history] == [created.json()["collection_id"]]

    month = manager.get(f"/visits/{visit['visit_id']}").json()["date"][:7]
    agreed_url = f"/customers/{customer['id']}/agreed-quantities"
    agreed = manager.post(agreed_url, json={"op_id": _op(), "month": month, "lines": [{"sku": "SKU001", "qty": 30}]})
    assert agreed.status_code == 201, agreed.text
    again = manager.post(agreed_url, json={"op_id": _op(), "month": month, "lines": [{"sku": "SKU001", "qty": 1}]})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "immutable")

    adjustment = manager.post(
        "/supply-adjustments",
        json={
            "op_id": _op(),
            "customer_id": customer["id"],
            "month": month,
            "lines": [{"sku": "SKU001", "extra_qty": 5}],
            "reason": "婚宴",
        },
    ).json()
    decided = supervisor.post(f"/supply-adjustments/{adjustment['adjustment_id']}/approve")
    assert decided.json()["status"] == "approved", decided.text
    effective = manager.get(f"/customers/{customer['id']}/effective-quantities", params={"month": month}).json()
    assert effective["total"] == 35

    info = manager.post(
        f"/customers/{customer['id']}/terminal-info", json={"op_id": _op(), "values": {"terminal_type": "烟酒店"}}
    )
    assert info.status_code == 201, info.text
    wait_until(
        lambda: manager.get(f"/visits/{visit['visit_id']}").json()["customer"]["terminal_type"] == "烟酒店",
        timeout=10,
        interval=0.2,
        what="the terminal type on planning's customer card",
    )


def test_collection_ops_join_the_offline_batch_in_client_time_order(login):
    # m009: no other module uses m009's visits.
    manager, admin = login("m009"), login("admin")
    visit = next(
        v for v in manager.get("/visits").json()["items"] if v["status"] == "planned" and v["method"] == "on_site"
    )
    customer = visit["customer"]
    form = wait_until(
        lambda: (
            (answer := manager.get(f"/customers/{customer['id']}/price-inventory/form")).status_code == 200
            and answer.json()
        ),
        timeout=10,
        interval=0.2,
        what="the customer in collection's ownership cache",
    )
    assert sum(line["purchased"] for line in form["lines"]) > 0  # R-1.5.8.1-h: the demo orders prefill
    qr = admin.get(f"/admin/customers/{customer['id']}/qr").json()["qr"]
    month = manager.get(f"/visits/{visit['visit_id']}").json()["date"][:7]
    start = datetime.now(UTC) - timedelta(minutes=10)

    def op(kind: str, payload: dict, minute: int) -> dict:
        return {
            "op_id": _op(),
            "type": kind,
            "payload": payload,
            "client_ts": (start + timedelta(minutes=minute)).isoformat(),
        }

    location = customer["location"]
    line = {"sku": "SKU001", "pack_price": 4500, "carton_price": 45000, "stock": 1}
    checkin = op("checkin", {"qr": qr, "lat": location["lat"], "lon": location["lon"], "accuracy_m": 10.0}, 0)
    price = op("price_inventory", {"visit_id": visit["visit_id"], "lines": [line]}, 2)
    fraction = op("price_inventory", {"visit_id": visit["visit_id"], "lines": [{**line, "pack_price": 4500.5}]}, 3)
    agreed = op(
        "agreed_quantity",
        {"customer_id": customer["id"], "month": month, "lines": [{"sku": "SKU002", "qty": 12}]},
        4,
    )
    info = op("terminal_info", {"customer_id": customer["id"], "values": {"terminal_type": "便利店"}}, 5)
    ops = [info, price, fraction, agreed, checkin]  # sent out of order: applied in client-time order
    answer = manager.post("/sync", json={"ops": ops})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied", "rejected", "applied", "applied"], results
    assert results[1]["result"]["lines"][0]["purchased_source"] == "orders"
    assert results[2]["error"]["code"] == "invalid_request"
    assert results[3]["result"]["total"] == 12 and results[0]["result"]["latest"]["values"]["terminal_type"] == "便利店"
    replay = manager.post("/sync", json={"ops": ops}).json()["results"]
    assert [r["status"] for r in replay] == ["duplicate", "duplicate", "rejected", "duplicate", "duplicate"]
    assert replay[1]["result"] == results[1]["result"]
    history = manager.get(f"/customers/{customer['id']}/price-inventory").json()["items"]
    assert [c["op_id"] for c in history] == [price["op_id"]]
