"""The business views through the gateway to the real analytics servicer (started in-process).

m001 (team t01) owns gc1 and gc2, m002 owns gc3. This month gc1 agreed 10 cartons with +2
approved (effective 12) and ordered 3 + 6 = 9 cartons for 4,500 + 9,000 fen on the 1st: 75.0 %,
3 remaining; gc3 ordered 1 carton. gc1 has one open request (reply overdue since 2020) and one
follow-up that was opened and then done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from analytics.bootstrap import build_grpc
from analytics.grpc_api import servicer
from analytics.settings import AnalyticsSettings
from analytics.usecases import business_facts, scan_views
from baifang_common.events import (
    AgreedQuantitySubmitted,
    CustomerAssigned,
    CustomerIssueChanged,
    CustomerUpserted,
    Event,
    FollowUpChanged,
    OrdersRecorded,
    ScanBatchAccepted,
    SkuUpserted,
    SupplyAdjustmentApproved,
    TerminalResourcesCollected,
)
from baifang_common.timeutil import today

pytestmark = pytest.mark.integration


def _events(month: str) -> list[Event]:
    day = f"{month}-01"
    events: list[Event] = [
        SkuUpserted(sku="S1", name="黄山", brand="黄山", short_code="hs", price_class=2, ref_pack_price_fen=150,
                    ref_carton_price_fen=1500, packs_per_carton=10),
        AgreedQuantitySubmitted(customer_id="gc1", month=month, manager_id="m001", team_id="t01",
                                lines=[{"sku": "S1", "qty": 10}], total=10, submitted_at=day),
        SupplyAdjustmentApproved(adjustment_id="ga1", customer_id="gc1", month=month, manager_id="m001",
                                 team_id="t01", lines=[{"sku": "S1", "qty": 2}], reason="节日", status="approved"),
        OrdersRecorded(import_id="gi1", lines=[
            {"order_id": "GO1", "line_no": n, "customer_id": cid, "manager_id": "", "team_id": "", "sku": "S1",
             "quantity": qty, "amount_fen": qty * 1500, "order_date": day}
            for n, (cid, qty) in enumerate((("gc1", 3), ("gc1", 6), ("gc3", 1)))
        ]),
        CustomerIssueChanged(issue_id="gi1", kind="complaint", customer_id="gc1", manager_id="m001", team_id="t01",
                             status="open", opened_at="2020-01-01T00:00:00+00:00",
                             reply_due_at="2020-01-02T00:00:00+00:00", changed_by="m001", version=1),
        *(FollowUpChanged(follow_up_id="gf1", kind="thank_you", customer_id="gc1", manager_id="m001", team_id="t01",
                          visit_id="gv1", status=status, due_at="2020-01-02T00:00:00+00:00",
                          occurred_at=f"2030-01-01T00:00:0{n}+00:00") for n, status in ((2, "done"), (1, "open"))),
    ]  # fmt: skip
    for cid, manager in (("gc1", "m001"), ("gc2", "m001"), ("gc3", "m002")):
        events.append(
            CustomerUpserted(
                customer_id=cid,
                code=cid,
                short_code=cid,
                name=f"商户 {cid}",
                licence_no="1",
                address="合肥",
                location={"lat": 31.8, "lon": 117.2},
                star=2,
                terminal_type="便利店",
                credit_grade="A",
                value_class="B",
                order_type="online",
                settlement_method="e",
                area_id="a1",
            )
        )
        events.append(CustomerAssigned(customer_id=cid, manager_id=manager, team_id="t01"))
    return events


@pytest.fixture
def business_client(
    settings_for: Callable[..., Any], grpc_server: Callable[..., Any], make_client: Callable[..., TestClient]
) -> Iterator[tuple[TestClient, str]]:
    deps = build_grpc(settings_for(AnalyticsSettings))
    month = today(deps.timezone).isoformat()[:7]
    business_facts.apply_events(_events(month), facts=deps.facts, views=deps.order_views)
    noon = f"{today(deps.timezone).isoformat()}T12:00:00+08:00"
    scans = [{"code": f"x{i}", "sku": "S1", "kind": kind, "qty": qty, "unit_price": price, "ts": noon}
             for i, (kind, qty, price) in enumerate((("purchase", 4, 12.0), ("sale", 3, 15.0)))]  # fmt: skip
    batch = ScanBatchAccepted(batch_id="gb1", device_id="gd1", customer_id="gc1", scans=scans, received_at=noon)
    scan_views.apply_scan_batches([batch], scans=deps.scans, timezone=deps.timezone, facts=deps.facts)
    server, _ = grpc_server([servicer(deps)])
    yield make_client(analytics_addr=f"127.0.0.1:{server.port}"), month
    deps.close()


def test_business_views_answer_the_owner_the_team_lead_and_refuse_others(
    business_client: tuple[TestClient, str], auth_headers: Callable[[str], dict[str, str]]
) -> None:
    client, month = business_client
    m001, m002, s01 = auth_headers("m001"), auth_headers("m002"), auth_headers("s01")

    progress = client.get(f"/api/v1/orders/monthly-progress?month={month}", headers=m001)
    assert progress.status_code == 200, progress.text
    (row,) = progress.json()["items"]
    assert (row["customer_id"], row["effective"], row["ordered"], row["remaining"], row["progress_pct"]) == (
        "gc1", 12, 9, 3, 75.0,
    )  # fmt: skip
    team = client.get(f"/api/v1/orders/monthly-progress?month={month}&limit=1", headers=s01).json()
    assert (team["ordered"], team["total_items"], len(team["items"])) == (10, 2, 1)
    rest = client.get(f"/api/v1/orders/monthly-progress?month={month}&cursor={team['next_cursor']}", headers=s01)
    assert [i["customer_id"] for i in rest.json()["items"]] == ["gc3"] and rest.json()["next_cursor"] is None

    daily = client.get(f"/api/v1/orders/daily?date={month}-01", headers=m001).json()
    assert [(i["customer_id"], i["quantity"], i["amount_fen"]) for i in daily["items"]] == [("gc1", 9, 13500)]
    assert [c["customer_id"] for c in daily["not_ordered"]] == ["gc2"]

    details = client.get("/api/v1/customers/gc1/details", headers=s01)
    assert details.status_code == 200, details.text
    assert details.json()["orders_this_month"]["effective"] == 12
    assert [(r["issue_id"], r["kind"], r["overdue"]) for r in details.json()["open_requests"]] == [
        ("gi1", "complaint", True)
    ]
    assert details.json()["open_follow_ups"] == []
    value = client.get("/api/v1/customers/gc1/value", headers=m001)  # never recomputed: judged on read
    assert value.status_code == 200, value.text
    assert value.json()["value_class"] == "D"  # 13,500 fen < C's 500,000
    # The history: the class at each month's end since the first order; the first is this month's, judged today.
    assert value.json()["history"] == [{"value_class": "D", "since": value.json()["computed_on"], "month": month,
                                        "amount_fen": 13500, "tenure_months": 0}]  # fmt: skip
    assert (value.json()["figures"]["amount_fen"], value.json()["figures"]["cartons"]) == (13500, 9)
    assert client.get("/api/v1/customers/gc1/value", headers=m002).status_code == 403
    # No visits: each of m001's B customers (once a month) is below its frequency.
    frequency = client.get(f"/api/v1/visits/frequency-compliance?month={month}&limit=1", headers=m001)
    assert frequency.status_code == 200, frequency.text
    body = frequency.json()
    assert (body["customers"], body["below"], body["compliance_pct"], body["total_items"]) == (2, 2, 0.0, 2)
    assert [i["customer_id"] for i in body["items"]] == ["gc1"] and body["next_cursor"]
    assert client.get("/api/v1/visits/frequency-compliance?manager_id=m001", headers=m002).status_code == 403
    analysis = client.get("/api/v1/customers/gc1/analysis?months=2", headers=m001).json()
    assert [r["month"] for r in analysis["rows"]][-1] == month
    assert (analysis["rows"][-1]["value_per_carton_fen"], analysis["similar_outlets"]["percentile"]) == (1500, 100.0)

    assert client.get("/api/v1/customers/gc1/details", headers=m002).status_code == 403
    assert client.get("/api/v1/customers/nobody/analysis", headers=s01).status_code == 404
    assert client.get("/api/v1/orders/monthly-progress?month=2025-13", headers=m001).status_code == 400
    assert client.get("/api/v1/customers/gc1/analysis?months=0", headers=m001).status_code == 400
    assert client.get("/api/v1/orders/daily?manager_id=m002", headers=m001).status_code == 403


def test_targets_import_and_the_indicators_through_the_gateway(
    business_client: tuple[TestClient, str], auth_headers: Callable[[str], dict[str, str]]
) -> None:
    """m001's month: 9 cartons of 黄山 for 13,500 fen (1,500 a carton), no visits; target 12 cartons."""
    client, month = business_client
    admin, m001, m002, s01 = (auth_headers(u) for u in ("admin", "m001", "m002", "s01"))
    body = (
        "manager_id,period,volume,key_brands,value_per_carton_fen,plan_execution_pct\n"
        f"m001,{month},12,黄山:10,1400,90\nm999,{month},5,,,\ns01,{month},5,,,\nm002,{month},,利群:3,,\n"
    ).encode()
    url, csv = "/api/v1/admin/import/targets", {"Content-Type": "text/csv"}
    answer = client.post(url, content=body, headers={**admin, **csv})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["applied"], answer.json()["unchanged"]) == (1, 0)
    assert [(r["row"], r["field"]) for r in answer.json()["rejected"]] == [
        (3, "manager_id"), (4, "manager_id"), (5, "key_brands"),
    ]  # fmt: skip
    assert client.post(url, content=body, headers={**admin, **csv}).json()["unchanged"] == 1
    assert client.post(url, content=body, headers={**m001, **csv}).status_code == 403

    report = client.get(f"/api/v1/indicators?period=month&month={month}", headers=s01)
    assert report.status_code == 200, report.text
    mine = next(m for m in report.json()["managers"] if m["manager_id"] == "m001")
    assert (mine["team_id"], mine["has_target"], mine["amount_fen"]) == ("t01", True, 13500)
    assert mine["volume"] == {"target": 12, "actual": 9, "deviation": -3, "deviation_pct": -25.0}
    assert mine["key_brands"][0] == {
        "brand": "黄山",
        "target": 10,
        "actual": 9,
        "deviation": -1,
        "deviation_pct": -10.0,
    }
    assert mine["value_per_carton_fen"] == {"target": 1400, "actual": 1500, "deviation": 100, "deviation_pct": 7.1}
    assert mine["plan_execution_pct"] == {"target": 90.0, "actual": None, "deviation": None, "deviation_pct": None}
    assert [t["team_id"] for t in report.json()["teams"]] == ["t01"]
    week = client.get("/api/v1/indicators?period=week", headers=m001)
    assert week.status_code == 200 and week.json()["period"] == "week", week.text
    assert [m["manager_id"] for m in week.json()["managers"]] in ([], ["m001"])
    assert client.get("/api/v1/indicators?manager_id=m001", headers=m002).status_code == 403
    assert client.get("/api/v1/indicators?period=week&week=2025-W53", headers=m001).status_code == 400


def test_scan_views_through_the_gateway(
    business_client: tuple[TestClient, str], auth_headers: Callable[[str], dict[str, str]]
) -> None:
    """gc1 bought 4 S1 at 12.0 and sold 3 at 15.0 today (Asia/Shanghai noon), never counted: stock 1."""
    client, month = business_client
    m001, m002 = auth_headers("m001"), auth_headers("m002")
    stock = client.get("/api/v1/stock/live?customer_id=gc1", headers=m001)
    assert stock.status_code == 200, stock.text
    assert [(r["sku"], r["stock"]) for r in stock.json()["items"]] == [("S1", 1)]
    live = client.get("/api/v1/scans/live", headers=m001).json()
    assert [(r["customer_id"], r["sold_qty"], r["bought_qty"]) for r in live["items"]] == [("gc1", 3, 4)]
    profit = client.get(f"/api/v1/profit/current?customer_id=gc1&month={month}", headers=m001).json()
    assert (profit["revenue"], profit["profit"]) == (45.0, 9.0)
    assert client.get("/api/v1/scans/yesterday", headers=m001).status_code == 200
    assert client.get("/api/v1/stock/live?customer_id=gc1", headers=m002).status_code == 403
    assert client.get("/api/v1/profit/current", headers=m001).status_code == 400


def test_terminal_views_and_the_standard_through_the_gateway(
    business_client: tuple[TestClient, str], auth_headers: Callable[[str], dict[str, str]]
) -> None:
    client, _ = business_client
    m001, s01, admin = auth_headers("m001"), auth_headers("s01"), auth_headers("admin")
    evaluation = client.get("/api/v1/terminals/gc1/evaluation", headers=m001)
    assert evaluation.status_code == 200, evaluation.text
    assert (evaluation.json()["score"], evaluation.json()["collected"]) == (0.0, False)
    stats = client.get("/api/v1/terminals/stats?by=terminal_type", headers=s01).json()
    assert [(g["value"], g["outlets"]) for g in stats["items"]] == [("便利店", 3)]
    assert client.get("/api/v1/terminals/stats?by=nonsense", headers=s01).status_code == 400
    assert len(client.get("/api/v1/terminal-standard", headers=m001).json()["criteria"]) == 10
    body = {"criteria": [{"code": "scanner", "label": "扫码设备", "item": "pos_device", "test": "true", "weight": 3}]}
    assert client.put("/api/v1/admin/terminal-standard", json=body, headers=m001).status_code == 403
    saved = client.put("/api/v1/admin/terminal-standard", json=body, headers=admin)
    assert saved.status_code == 200, saved.text
    assert (saved.json()["version"], [c["code"] for c in saved.json()["criteria"]]) == (1, ["scanner"])


def test_terminal_analyses_and_the_forecast_through_the_gateway(
    business_client: tuple[TestClient, str],
    auth_headers: Callable[[str], dict[str, str]],
    settings_for: Callable[..., Any],
) -> None:
    """gc1's terminal: every default criterion but the two information items (90 of 100), scanner and
    online ordering; it was scanned today. Forecast of next month from this month (×3): gc1 9 → 27 / 6 =
    4.5 → 5 cartons, gc3 1 → 0.5 → 1; the months before have no orders."""
    client, month = business_client
    m001, m002, s01, admin = (auth_headers(u) for u in ("m001", "m002", "s01", "admin"))
    deps = build_grpc(settings_for(AnalyticsSettings))
    values = {"ledger": True, "stock_classification": True, "display_rails": 1, "counter_length": 1.2,
              "lightbox": True, "online_ordering": True, "e_settlement": True, "pos_device": True}  # fmt: skip
    saved = f"{today(deps.timezone).isoformat()}T02:00:00Z"
    resources = TerminalResourcesCollected(customer_id="gc1", version=1, values=values, saved_by="m001", saved_at=saved)
    business_facts.apply_events([resources], facts=deps.facts, views=deps.order_views)
    deps.close()

    functional = client.get("/api/v1/terminals/functional?days=7", headers=m001)
    assert functional.status_code == 200, functional.text
    scanner = next(f for f in functional.json()["functions"] if f["code"] == "scanner")
    assert (scanner["outlets"], scanner["coverage_pct"], scanner["scanned"], scanner["active"]) == (1, 50.0, 1, 1)
    quality = client.get("/api/v1/terminals/quality?months=2&by=area_id", headers=s01)
    assert quality.status_code == 200, quality.text
    body = quality.json()
    assert (body["outlets"], body["evaluated"], body["meeting_standard"], body["avg_score"]) == (3, 1, 1, 90.0)
    assert [(t["month"], t["meeting_standard"]) for t in body["trend"]][-1] == (month, 1)
    assert [(g["code"], g["failing"]) for g in body["gaps"]] == [("association", 1), ("store_tier", 1)]
    assert client.get("/api/v1/terminals/quality", headers=admin).json()["outlets"] == 3

    forecast = client.get("/api/v1/forecast?limit=1", headers=s01)
    assert forecast.status_code == 200, forecast.text
    team = forecast.json()
    assert (team["month"] > month, team["forecast"], team["total_items"]) == (True, 6, 3)
    assert [(i["customer_id"], i["forecast"]) for i in team["items"]] == [("gc1", 5)] and team["next_cursor"]
    assert [(m["manager_id"], m["forecast"]) for m in team["managers"]] == [("m001", 5), ("m002", 1)]
    one = client.get(f"/api/v1/customers/gc1/forecast?month={team['month']}", headers=m001)
    assert one.status_code == 200, one.text
    assert (one.json()["forecast"], one.json()["basis"][0]) == (5, {"month": month, "ordered": 9, "weight": 3})

    assert client.get("/api/v1/customers/gc1/forecast", headers=m002).status_code == 403
    assert client.get("/api/v1/forecast?manager_id=m001", headers=m002).status_code == 403
    assert client.get("/api/v1/terminals/functional?manager_id=m001", headers=m002).status_code == 403
    assert client.get("/api/v1/terminals/quality?team_id=t02", headers=s01).status_code == 403
    for url in (
        "/terminals/functional?days=0",
        "/terminals/functional?days=91",
        "/terminals/quality?months=25",
        "/terminals/quality?by=meets_standard",
        "/forecast?month=2025-13",
        "/customers/gc1/forecast?month=x",
    ):
        answer = client.get(f"/api/v1{url}", headers=m001)
        assert (answer.status_code, answer.json()["error"]["code"]) == (400, "invalid_request"), url
