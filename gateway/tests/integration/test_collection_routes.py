"""Collection routes through the gateway to the real collection servicer, itself asking the real
planning servicer about the visit (both in-process, demo data); the ownership cache is fed through
collection's own use case, as planning's `customer.assigned` would feed it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from baifang_common.demo import demo_org
from baifang_common.events import CustomerAssigned
from baifang_common.testing.images import jpeg, png
from baifang_common.timeutil import today
from collection import bootstrap as collection_bootstrap
from collection import demo as collection_demo
from collection.grpc_api import servicer as collection_servicer
from collection.settings import CollectionSettings
from collection.usecases.ownership import record_customer_assignment
from gateway.settings import GatewaySettings
from planning import bootstrap as planning_bootstrap
from planning import demo as planning_demo
from planning.grpc_api import servicer as planning_servicer
from planning.settings import PlanningSettings

pytestmark = pytest.mark.integration


@dataclass
class Stack:
    client: TestClient
    planning: planning_bootstrap.GrpcDeps
    collection: collection_bootstrap.GrpcDeps


@pytest.fixture
def stack(
    settings_for: Callable[..., Any],
    grpc_server: Callable[..., Any],
    make_client: Callable[..., TestClient],
    gateway_settings: GatewaySettings,
) -> Iterator[Stack]:
    planning_settings: PlanningSettings = settings_for(PlanningSettings)
    day = today(gateway_settings.timezone)
    org = demo_org(managers=12)
    planning_demo.load_demo(planning_settings, org, today=day, reset=True, customers=40, publish=False)
    planning_deps = planning_bootstrap.build_grpc(planning_settings)
    planning_server, _ = grpc_server([planning_servicer(planning_deps)])
    settings = settings_for(CollectionSettings, planning_addr=f"127.0.0.1:{planning_server.port}")
    collection_demo.load_demo(settings, org, today=day, reset=True)
    collection_deps = collection_bootstrap.build_grpc(settings)
    collection_server, _ = grpc_server([collection_servicer(collection_deps)])
    client = make_client(
        planning_addr=f"127.0.0.1:{planning_server.port}", collection_addr=f"127.0.0.1:{collection_server.port}"
    )
    yield Stack(client, planning_deps, collection_deps)
    collection_deps.close()
    planning_deps.close()


def _headers(stack: Stack, login: Callable[..., Any], user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(stack.client, user)['access_token']}"}


def _checked_in_visit(stack: Stack, headers: dict[str, str]) -> dict[str, Any]:
    """One of m001's visits today, checked in, with its customer known to collection's ownership cache."""
    visits = stack.client.get("/api/v1/visits", headers=headers).json()["items"]
    visit = next(v for v in visits if v["status"] == "planned" and v["method"] == "on_site")
    detail = stack.client.get(f"/api/v1/visits/{visit['visit_id']}", headers=headers).json()
    assigned = CustomerAssigned(customer_id=detail["customer"]["id"], manager_id="m001", team_id=detail["team_id"])
    record_customer_assignment(assigned, owners=stack.collection.owners, timezone="Asia/Shanghai")
    assert stack.planning.visits.mark_checked_in(visit["visit_id"], "ck-" + visit["visit_id"], datetime.now(UTC))
    return detail


def _line(sku: str = "SKU001", pack: Any = 4500, carton: Any = 45000, stock: int = 5, **kw: Any) -> dict[str, Any]:
    return {"sku": sku, "pack_price": pack, "carton_price": carton, "stock": stock, **kw}


def test_price_inventory_form_submit_and_history(stack: Stack, login: Callable[..., Any]) -> None:
    headers = _headers(stack, login, "m001")
    visit = _checked_in_visit(stack, headers)
    customer_id = visit["customer"]["id"]
    form = stack.client.get(f"/api/v1/customers/{customer_id}/price-inventory/form", headers=headers)
    assert form.status_code == 200, form.text
    line = next(x for x in form.json()["lines"] if x["sku"] == "SKU001")
    assert (line["ref_pack_price"], line["ref_carton_price"], line["prev_stock"], line["first"]) == (
        4500,
        45000,
        0,
        True,
    )

    body = {"op_id": str(uuid.uuid4()), "lines": [_line(stock=8, purchased=3)]}
    url = f"/api/v1/visits/{visit['visit_id']}/price-inventory"
    created = stack.client.post(url, json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["lines"][0]["sales"] == 0 + 3 - 8
    again = stack.client.post(url, json=body, headers=headers)
    assert (again.status_code, again.json()) == (201, created.json())

    history = stack.client.get(f"/api/v1/customers/{customer_id}/price-inventory", headers=headers)
    assert [c["collection_id"] for c in history.json()["items"]] == [created.json()["collection_id"]]
    supervisor = _headers(stack, login, "s01")
    assert stack.client.get(f"/api/v1/customers/{customer_id}/price-inventory", headers=supervisor).status_code == 200
    other = _headers(stack, login, "m011")
    assert stack.client.get(f"/api/v1/customers/{customer_id}/price-inventory", headers=other).status_code == 403


def test_price_inventory_refusals(stack: Stack, login: Callable[..., Any]) -> None:
    headers = _headers(stack, login, "m001")
    visit = _checked_in_visit(stack, headers)
    url = f"/api/v1/visits/{visit['visit_id']}/price-inventory"
    bad = [_line(pack=5401), _line("SKU002", pack=6500, carton=65000, stock=-1)]
    refused = stack.client.post(url, json={"op_id": str(uuid.uuid4()), "lines": bad}, headers=headers)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "invalid_price_inventory"
    assert [(f["index"], f["field"]) for f in error["details"]["lines"]] == [(0, "pack_price"), (1, "stock")]

    as_float = stack.client.post(url, json={"op_id": str(uuid.uuid4()), "lines": [_line(pack=45.0)]}, headers=headers)
    assert (as_float.status_code, as_float.json()["error"]["code"]) == (400, "invalid_request")

    planned = next(
        v for v in stack.client.get("/api/v1/visits", headers=headers).json()["items"] if v["status"] == "planned"
    )
    early = stack.client.post(
        f"/api/v1/visits/{planned['visit_id']}/price-inventory",
        json={"op_id": str(uuid.uuid4()), "lines": [_line()]},
        headers=headers,
    )
    assert (early.status_code, early.json()["error"]["code"]) == (409, "not_checked_in")
    stranger = stack.client.post(
        url, json={"op_id": str(uuid.uuid4()), "lines": [_line()]}, headers=_headers(stack, login, "m002")
    )
    assert stranger.status_code == 403


def test_catalogue_search_admin_upsert_and_import(stack: Stack, login: Callable[..., Any]) -> None:
    manager = _headers(stack, login, "m001")
    found = stack.client.get("/api/v1/skus", params={"q": "中华", "limit": 2}, headers=manager)
    assert found.status_code == 200, found.text
    assert [s["sku"] for s in found.json()["items"]] == ["SKU001", "SKU002"]
    rest = stack.client.get(
        "/api/v1/skus", params={"q": "中华", "cursor": found.json()["next_cursor"]}, headers=manager
    )
    assert [s["sku"] for s in rest.json()["items"]] == ["SKU003"] and rest.json()["next_cursor"] is None
    assert (
        stack.client.get("/api/v1/skus", params={"q": "ZHY"}, headers=manager).json()["items"][0]["ref_pack_price"]
        == 4500
    )

    admin = _headers(stack, login, "admin")
    entry = {
        "name": "测试烟",
        "brand": "测试",
        "short_code": "CSY",
        "price_class": 3,
        "ref_pack_price": 1000,
        "ref_carton_price": 10000,
    }
    assert stack.client.put("/api/v1/admin/skus/SKU500", json=entry, headers=admin).status_code == 200
    assert stack.client.put("/api/v1/admin/skus/SKU500", json=entry, headers=manager).status_code == 403
    bad = stack.client.put("/api/v1/admin/skus/SKU501", json={**entry, "price_class": 9}, headers=admin)
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_sku")

    csv_file = (
        "sku,name,brand,short_code,price_class,ref_pack_price,ref_carton_price\n"
        "SKU600,导入烟,导入,DRY,2,1500,15000\n"
        "SKU601,坏烟,坏,HY,2,15.5,15000\n"
        "SKU602,,坏,HY,2,1500,15000\n"
    )
    url = "/api/v1/admin/import/skus"
    report = stack.client.post(url, content=csv_file.encode(), headers={**admin, "Content-Type": "text/csv"})
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["received"], body["upserted"]) == (3, 1)
    assert [(r["row"], r["field"]) for r in body["rejected"]] == [(3, "ref_pack_price"), (4, "name")]
    again = stack.client.post(url, content=csv_file.encode(), headers={**admin, "Content-Type": "text/csv"})
    assert again.json() == body
    row = {"sku": "SKU700", "name": "行烟", "brand": "行", "price_class": 1, "ref_pack_price": 2000}
    jsonl = json.dumps({**row, "ref_carton_price": 20000}) + "\nnot json\n"
    lines = stack.client.post(url, content=jsonl.encode(), headers={**admin, "Content-Type": "application/x-ndjson"})
    assert (lines.json()["upserted"], [(r["row"], r["field"]) for r in lines.json()["rejected"]]) == (1, [(2, "row")])
    assert stack.client.get("/api/v1/skus", params={"q": "导入"}, headers=manager).json()["items"][0]["sku"] == "SKU600"
    assert stack.client.post(url, content=jsonl.encode(), headers=manager).status_code == 403


def test_agreed_quantity_once_per_current_month(stack: Stack, login: Callable[..., Any]) -> None:
    headers = _headers(stack, login, "m001")
    customer_id = _checked_in_visit(stack, headers)["customer"]["id"]
    url = f"/api/v1/customers/{customer_id}/agreed-quantities"
    month = today("Asia/Shanghai").isoformat()[:7]
    assert stack.client.get(url, headers=headers).json()["status"] == "none"
    body = {
        "op_id": str(uuid.uuid4()),
        "month": month,
        "lines": [{"sku": "SKU001", "qty": 20}, {"sku": "SKU002", "qty": 5}],
    }
    created = stack.client.post(url, json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert (created.json()["status"], created.json()["total"]) == ("submitted", 25)
    assert stack.client.post(url, json=body, headers=headers).json() == created.json()
    changed = stack.client.post(url, json={**body, "op_id": str(uuid.uuid4())}, headers=headers)
    assert (changed.status_code, changed.json()["error"]["code"]) == (409, "immutable")
    past = stack.client.post(url, json={**body, "op_id": str(uuid.uuid4()), "month": "2020-01"}, headers=headers)
    assert (past.status_code, past.json()["error"]["code"]) == (422, "month_not_current")
    assert stack.client.get(url, params={"month": month}, headers=_headers(stack, login, "s01")).json()["total"] == 25


def test_terminal_info_versions_and_admin_items(stack: Stack, login: Callable[..., Any]) -> None:
    headers = _headers(stack, login, "m001")
    customer_id = _checked_in_visit(stack, headers)["customer"]["id"]
    url = f"/api/v1/customers/{customer_id}/terminal-info"
    assert stack.client.get(url, headers=headers).json()["latest"] is None
    body = {"op_id": str(uuid.uuid4()), "values": {"terminal_type": "超市", "functional_terminal": True}}
    saved = stack.client.post(url, json=body, headers=headers)
    assert saved.status_code == 201, saved.text
    assert saved.json()["latest"]["values"] == body["values"]
    second = stack.client.post(
        url, json={**body, "op_id": str(uuid.uuid4()), "values": {"terminal_type": "烟酒店"}}, headers=headers
    )
    assert second.json()["latest"]["version"] == 2
    read = stack.client.get(url, headers=_headers(stack, login, "s01")).json()
    assert read["latest"]["values"] == {"terminal_type": "烟酒店"} and [v["version"] for v in read["history"]] == [2, 1]
    bad = stack.client.post(
        url, json={**body, "op_id": str(uuid.uuid4()), "values": {"terminal_type": "火星"}}, headers=headers
    )
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_terminal_values")

    admin = _headers(stack, login, "admin")
    items = {"items": [{"code": "shelf_count", "label": "货架数", "type": "number", "unit": "个"}]}
    assert (
        stack.client.put("/api/v1/admin/terminal-items/terminal-resources", json=items, headers=headers).status_code
        == 403
    )
    assert (
        stack.client.put("/api/v1/admin/terminal-items/terminal-resources", json=items, headers=admin).status_code
        == 200
    )
    resources = stack.client.get(f"/api/v1/customers/{customer_id}/terminal-resources", headers=headers).json()
    assert [i["code"] for i in resources["items"]] == ["shelf_count"]


def test_supply_adjustment_request_approval_and_effective_quantity(stack: Stack, login: Callable[..., Any]) -> None:
    headers = _headers(stack, login, "m001")
    customer_id = _checked_in_visit(stack, headers)["customer"]["id"]
    month = today("Asia/Shanghai").isoformat()[:7]
    agreed = {"op_id": str(uuid.uuid4()), "month": month, "lines": [{"sku": "SKU001", "qty": 20}]}
    assert (
        stack.client.post(
            f"/api/v1/customers/{customer_id}/agreed-quantities", json=agreed, headers=headers
        ).status_code
        == 201
    )
    body = {
        "op_id": str(uuid.uuid4()),
        "customer_id": customer_id,
        "month": month,
        "lines": [{"sku": "SKU001", "extra_qty": 6}],
        "reason": "婚宴",
    }
    created = stack.client.post("/api/v1/supply-adjustments", json=body, headers=headers)
    assert (created.status_code, created.json()["status"]) == (201, "pending"), created.text
    adjustment_id = created.json()["adjustment_id"]
    supervisor = _headers(stack, login, "s01")
    inbox = stack.client.get("/api/v1/supply-adjustments", params={"status": "pending"}, headers=supervisor).json()
    assert [a["adjustment_id"] for a in inbox["items"]] == [adjustment_id]
    assert stack.client.post(f"/api/v1/supply-adjustments/{adjustment_id}/approve", headers=headers).status_code == 403
    approved = stack.client.post(
        f"/api/v1/supply-adjustments/{adjustment_id}/approve", json={"note": "同意"}, headers=supervisor
    )
    assert approved.json()["status"] == "approved", approved.text
    again = stack.client.post(f"/api/v1/supply-adjustments/{adjustment_id}/reject", headers=supervisor)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_decided")
    effective = stack.client.get(
        f"/api/v1/customers/{customer_id}/effective-quantities", params={"month": month}, headers=headers
    )
    assert (effective.json()["lines"], effective.json()["total"]) == ([{"sku": "SKU001", "qty": 26}], 26)


def test_special_use_report_is_filed_with_warnings(stack: Stack, login: Callable[..., Any]) -> None:
    headers = _headers(stack, login, "m001")
    customer_id = _checked_in_visit(stack, headers)["customer"]["id"]
    body = {
        "op_id": str(uuid.uuid4()),
        "customer_id": customer_id,
        "consumer_name": "李女士",
        "phone": "13900000000",
        "occasion": "funeral",
        "area": "countryside",
        "event_date": "2026-12-01",
        "lines": [{"sku": "SKU001", "qty": 5}],
    }
    filed = stack.client.post("/api/v1/special-use-reports", json=body, headers=headers)
    assert (filed.status_code, filed.json()["status"]) == (201, "filed"), filed.text
    assert [w["sku"] for w in filed.json()["warnings"]] == ["SKU001"]
    listed = stack.client.get("/api/v1/special-use-reports", params={"customer_id": customer_id}, headers=headers)
    assert [r["report_id"] for r in listed.json()["items"]] == [filed.json()["report_id"]]
    bad = stack.client.post(
        "/api/v1/special-use-reports", json={**body, "op_id": str(uuid.uuid4()), "occasion": "x"}, headers=headers
    )
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_special_use_report")


def test_promotions_and_feedback(stack: Stack, login: Callable[..., Any]) -> None:
    headers, admin = _headers(stack, login, "m001"), _headers(stack, login, "admin")
    customer_id = _checked_in_visit(stack, headers)["customer"]["id"]
    day = today("Asia/Shanghai").isoformat()
    entry = {"title": "新品推介", "skus": ["SKU008"], "content": "卖点", "valid_from": day, "valid_to": day}
    assert stack.client.put("/api/v1/admin/promotions/p1", json=entry, headers=admin).status_code == 200
    assert stack.client.put("/api/v1/admin/promotions/p1", json=entry, headers=headers).status_code == 403
    bad = stack.client.put("/api/v1/admin/promotions/p2", json={**entry, "skus": ["NOPE"]}, headers=admin)
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_promotion")
    assert [p["promotion_id"] for p in stack.client.get("/api/v1/promotions", headers=headers).json()["items"]] == [
        "p1"
    ]
    body = {"op_id": str(uuid.uuid4()), "customer_id": customer_id, "feedback": "愿意试销", "intent": "medium"}
    recorded = stack.client.post("/api/v1/promotions/p1/feedback", json=body, headers=headers)
    assert (recorded.status_code, recorded.json()["intent"]) == (201, "medium"), recorded.text
    assert (
        stack.client.post(
            "/api/v1/promotions/p9/feedback", json={**body, "op_id": str(uuid.uuid4())}, headers=headers
        ).status_code
        == 404
    )


def test_shelving_facts_at_a_checked_in_visit(stack: Stack, login: Callable[..., Any]) -> None:
    headers = _headers(stack, login, "m001")
    visit = _checked_in_visit(stack, headers)
    body = {
        "op_id": str(uuid.uuid4()),
        "brands": [{"brand": "黄山", "shelved": True}, {"brand": "中华", "shelved": False}],
    }
    recorded = stack.client.post(f"/api/v1/visits/{visit['visit_id']}/shelving", json=body, headers=headers)
    assert recorded.status_code == 201, recorded.text
    state = stack.client.get(f"/api/v1/customers/{visit['customer']['id']}/shelving", headers=headers).json()
    assert {(b["brand"], b["shelved"]) for b in state["brands"]} == {("黄山", True), ("中华", False)}
    bad = stack.client.post(
        f"/api/v1/visits/{visit['visit_id']}/shelving",
        json={"op_id": str(uuid.uuid4()), "brands": [{"brand": "无名", "shelved": True}]},
        headers=headers,
    )
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_shelving")


def test_order_import_report_repeat_and_prefill(stack: Stack, login: Callable[..., Any]) -> None:
    manager = _headers(stack, login, "m001")
    customer_id = _checked_in_visit(stack, manager)["customer"]["id"]
    admin = _headers(stack, login, "admin")
    day = today("Asia/Shanghai").isoformat()
    csv_file = (
        "order_id,line_no,customer_id,sku,quantity,amount,order_date\n"
        f"OI-1,1,{customer_id},SKU001,3,1350.00,{day}\n"
        f"OI-1,2,{customer_id},SKU002,2,1300.5,{day}\n"
        f"OI-1,3,{customer_id},SKU003,1,12.345,{day}\n"
        f"OI-1,4,{customer_id},SKU003,1.5,500,{day}\n"
    )
    url = "/api/v1/admin/import/orders"
    report = stack.client.post(url, content=csv_file.encode(), headers={**admin, "Content-Type": "text/csv"})
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["applied"], body["unchanged"]) == (2, 0)
    assert [(r["row"], r["field"]) for r in body["rejected"]] == [(4, "amount"), (5, "quantity")]
    again = stack.client.post(url, content=csv_file.encode(), headers={**admin, "Content-Type": "text/csv"})
    assert (again.json()["applied"], again.json()["unchanged"]) == (0, 2)
    row = {"order_id": "OI-2", "line_no": 1, "customer_id": customer_id, "sku": "SKU001", "quantity": 4}
    jsonl = json.dumps({**row, "amount_fen": 180000, "order_date": day}) + "\n[1]\n"
    lines = stack.client.post(url, content=jsonl.encode(), headers=admin).json()
    assert (lines["applied"], [(r["row"], r["field"]) for r in lines["rejected"]]) == (1, [(2, "row")])
    assert stack.client.post(url, content=jsonl.encode(), headers=manager).status_code == 403
    form = stack.client.get(f"/api/v1/customers/{customer_id}/price-inventory/form", headers=manager).json()
    purchased = {line["sku"]: line["purchased"] for line in form["lines"]}
    assert (purchased["SKU001"], purchased["SKU002"], purchased["SKU003"]) == (7, 2, 0)


def test_photo_upload_checked_by_content_and_read_by_those_allowed(stack: Stack, login: Callable[..., Any]) -> None:
    manager = _headers(stack, login, "m001")
    visit = _checked_in_visit(stack, manager)
    customer_id = visit["customer"]["id"]
    form = {"customer_id": customer_id, "visit_id": visit["visit_id"], "kind": "shelf"}
    created = stack.client.post(
        "/api/v1/photos", data=form, files={"file": ("shelf.txt", png(), "text/plain")}, headers=manager
    )
    assert created.status_code == 201, created.text
    photo = created.json()
    assert (photo["content_type"], photo["width"], photo["height"]) == ("image/png", 3, 2)
    read = stack.client.get(f"/api/v1/photos/{photo['photo_id']}", headers=_headers(stack, login, "s01"))
    assert (read.status_code, read.headers["content-type"], read.content) == (200, "image/png", png())
    assert (
        stack.client.get(f"/api/v1/photos/{photo['photo_id']}", headers=_headers(stack, login, "m011")).status_code
        == 403
    )
    assert stack.client.get("/api/v1/photos/nope", headers=manager).status_code == 404
    jpg = stack.client.post(
        "/api/v1/photos",
        data={"customer_id": customer_id},
        files={"file": ("a.png", jpeg(), "image/png")},
        headers=manager,
    )
    assert (jpg.status_code, jpg.json()["content_type"]) == (201, "image/jpeg")
    fake = stack.client.post(
        "/api/v1/photos", data=form, files={"file": ("a.jpg", b"GIF89a" + b"\x00" * 64, "image/jpeg")}, headers=manager
    )
    assert (fake.status_code, fake.json()["error"]["code"]) == (415, "unsupported_media_type")
    huge = png() + b"\x00" * (5 * 2**20)
    big = stack.client.post("/api/v1/photos", data=form, files={"file": ("a.png", huge, "image/png")}, headers=manager)
    assert (big.status_code, big.json()["error"]["code"]) == (413, "payload_too_large")
    missing = stack.client.post("/api/v1/photos", data=form, headers=manager)
    assert missing.status_code == 400
