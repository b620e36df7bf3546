"""Functional and quality terminal analysis (§1.6.4, §1.6.5) and the sales forecast (P-002-8, P-003-10)
from business events: fed shuffled with repetitions, and through the real worker over RabbitMQ;
every figure is checked against the hand computation in the docstrings.

Outlets: c1 (便利店, m1), c2 (超市, m1), c3 (便利店, m2), all team t1; c4 (便利店, m3, team t2).
Months: M0 the current month, M1 and M2 the two before.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from analytics.bootstrap import GrpcDeps, business_views
from analytics.domain.business import months_back
from analytics.domain.errors import BadPeriod, CustomerNotYours, UnknownAttribute
from analytics.usecases import business_facts, scan_views
from analytics.usecases.orders import ViewQuery
from analytics.usecases.terminal_analysis import TerminalQuery
from baifang_common.context import Caller
from baifang_common.errors import DomainError
from baifang_common.events import (
    AgreedQuantitySubmitted,
    CustomerAssigned,
    CustomerUpserted,
    Event,
    OrdersRecorded,
    PriceInventorySubmitted,
    ScanBatchAccepted,
    TerminalInfoUpdated,
    TerminalResourcesCollected,
    VisitCompleted,
    VisitMissed,
)
from baifang_common.publisher import EventPublisher
from baifang_common.testing.wait import wait_until
from baifang_common.timeutil import today

pytestmark = pytest.mark.integration

M1, M2 = Caller("m1", "manager", "t1"), Caller("m2", "manager", "t1")
S1, ADMIN = Caller("s1", "supervisor", "t1"), Caller("admin", "admin")
OUTLETS = (
    ("c1", "m1", "t1", "便利店"),
    ("c2", "m1", "t1", "超市"),
    ("c3", "m2", "t1", "便利店"),
    ("c4", "m3", "t2", "便利店"),
)
# Every item of the default standard met but the "三店" tier and association (info items): 90 of 100.
FULL = {"ledger": True, "stock_classification": True, "display_rails": 2, "counter_length": 1.5, "lightbox": True,
        "online_ordering": True, "e_settlement": True, "pos_device": True, "smart_terminal": True}  # fmt: skip


def _outlets() -> list[Event]:
    events: list[Event] = []
    for cid, manager, team, kind in OUTLETS:
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
                terminal_type=kind,
                credit_grade="A",
                value_class="B",
                order_type="online",
                settlement_method="e",
                area_id="a1",
            )
        )
        events.append(CustomerAssigned(customer_id=cid, manager_id=manager, team_id=team, effective_from="2020-01-01"))
    return events


def _terminal(cid: str, kind: type[Any], version: int, day: str, values: dict[str, Any]) -> Event:
    extra = {"card_fields": {}} if kind is TerminalInfoUpdated else {}
    saved = f"{day}T02:00:00Z"  # 10:00 in the company's time zone, the same day
    return kind(customer_id=cid, version=version, values=values, saved_by="m1", saved_at=saved, **extra)


def quality_events(month: str) -> list[Event]:
    """Default standard (ledger 10, stock classification 10, rails 15, counter 10, lightbox 5, online
    ordering 15, e-settlement 10, scanner 15, association 5, 三店 5).

    c1: info (association, 旗舰店, designated 优质终端) on M2-05; resources v1 on M2-10 (ledger, one rail,
        scanner: 40) → 50 at the end of M2; v2 on M1-10 (FULL without the lightbox: 85) → 95 from M1 on.
    c2: info (no association, 加盟店) and resources v1 (FULL without online ordering and e-settlement: 65)
        on M1-03 → 70 at the end of M1; v2 FULL on M0-01 → 95.
    c3: nothing collected. c4 (team t2): FULL and 形象店 on M0-01 → 100.
    c1's v1 arrives again after v2 (a late redelivery): the current values stay v2's.
    """
    m0, m1, m2 = (f"{m}" for m in reversed(months_back(month, 3)))
    res, info = TerminalResourcesCollected, TerminalInfoUpdated
    c1_info = {"association_member": True, "store_tier": "旗舰店", "quality_terminal": True,
               "functional_terminal": True, "collection_point": True}  # fmt: skip
    return [
        _terminal("c1", info, 1, f"{m2}-05", c1_info),
        _terminal("c1", res, 2, f"{m1}-10", {**FULL, "lightbox": False}),
        _terminal("c1", res, 1, f"{m2}-10", {"ledger": True, "display_rails": 1, "pos_device": True}),
        _terminal(
            "c2",
            info,
            1,
            f"{m1}-03",
            {"association_member": False, "store_tier": "加盟店", "brand_cultivation_point": True},
        ),
        _terminal("c2", res, 1, f"{m1}-03", {**FULL, "online_ordering": False, "e_settlement": False}),
        _terminal("c2", res, 2, f"{m0}-01", {**FULL, "smart_terminal": False}),
        _terminal("c4", res, 1, f"{m0}-01", FULL),
        _terminal("c4", info, 1, f"{m0}-01", {"association_member": True, "store_tier": "形象店"}),
    ]


def _day(base: date, back: int) -> str:
    return (base - timedelta(days=back)).isoformat()


def activity_events(base: date) -> list[Event]:
    """In the 30-day window (base − 29 … base): c1 visited (base − 2), collected (base − 1), scanned
    (base) and ordered (base − 3); c2 only missed a visit (base − 1), was collected on base − 30 and
    ordered on base − 35 (both outside); c3 (no function) scanned and ordered on base − 1."""

    def order(oid: str, cid: str, day: str) -> dict[str, Any]:
        return {"order_id": oid, "line_no": 1, "customer_id": cid, "manager_id": "", "team_id": "", "sku": "S1",
                "quantity": 2, "amount_fen": 3000, "order_date": day}  # fmt: skip

    def collection(cid: str, day: str) -> Event:
        return PriceInventorySubmitted(
            collection_id=f"col-{cid}-{day}", visit_id=f"pv-{cid}-{day}", customer_id=cid, manager_id="m1",
            team_id="t1", date=day, submitted_at=f"{day}T02:00:00Z", client_ts=f"{day}T02:00:00Z", lines=[],
        )  # fmt: skip

    visit = {"manager_id": "m1", "team_id": "t1"}
    return [
        VisitCompleted(
            visit_id="av1",
            customer_id="c1",
            date=_day(base, 2),
            temporary=False,
            method="field",
            checked_in_at="",
            completed_at=f"{_day(base, 2)}T03:00:00Z",
            tasks_total=1,
            tasks_done=1,
            **visit,
        ),
        VisitMissed(visit_id="av2", customer_id="c2", date=_day(base, 1), **visit),
        collection("c1", _day(base, 1)),
        collection("c2", _day(base, 30)),
        OrdersRecorded(
            import_id="ai1",
            lines=[
                order("AO1", "c1", _day(base, 3)),
                order("AO2", "c2", _day(base, 35)),
                order("AO3", "c3", _day(base, 1)),
            ],
        ),
    ]


def scan_batches(base: date) -> list[ScanBatchAccepted]:
    def batch(bid: str, cid: str, day: str) -> ScanBatchAccepted:
        noon = f"{day}T12:00:00+08:00"
        scans = [{"code": f"{bid}-1", "sku": "S1", "kind": "sale", "qty": 1, "unit_price": 15.0, "ts": noon}]
        return ScanBatchAccepted(batch_id=bid, device_id=f"d-{cid}", customer_id=cid, scans=scans, received_at=noon)

    return [batch("ab1", "c1", _day(base, 0)), batch("ab2", "c3", _day(base, 1))]


def forecast_events() -> list[Event]:
    """Forecast of 2025-07 from 2025-06 (×3), 2025-05 (×2), 2025-04 (×1), rounded half up:
    c1 10, 8, 3 → 49 / 6 = 8.17 → 8 (2025-03's 100 and 2025-07's 50 cartons are not read); agreed 10: −2, −20.0 %.
    c2 0, 5, 0 → 10 / 6 = 1.67 → 2, no agreed quantity.  c3 7, 0, 0 → 21 / 6 = 3.5 → 4; agreed 3: +1, +33.3 %.
    Team t1: forecast 14; agreed 13 for c1 and c3, whose forecast is 12: −1, −7.7 %."""
    lines = [("F1", "c1", "2025-06-03", 4), ("F2", "c1", "2025-06-20", 6), ("F3", "c1", "2025-05-10", 8),
             ("F4", "c1", "2025-04-30", 3), ("F5", "c1", "2025-03-15", 100), ("F6", "c1", "2025-07-01", 50),
             ("F7", "c2", "2025-05-02", 5), ("F8", "c3", "2025-06-30", 7)]  # fmt: skip
    orders = OrdersRecorded(import_id="fi1", lines=[
        {"order_id": oid, "line_no": 1, "customer_id": cid, "manager_id": "", "team_id": "", "sku": "S1",
         "quantity": qty, "amount_fen": qty * 1500, "order_date": day} for oid, cid, day, qty in lines
    ])  # fmt: skip
    agreed = [
        AgreedQuantitySubmitted(customer_id=cid, month="2025-07", manager_id=m, team_id="t1",
                                lines=[{"sku": "S1", "qty": qty}], total=qty, submitted_at="2025-06-28T02:00:00Z")
        for cid, m, qty in (("c1", "m1", 10), ("c3", "m2", 3))
    ]  # fmt: skip
    return [orders, *agreed]


def _views(grpc_deps: GrpcDeps) -> dict[str, Callable[[ViewQuery], dict[str, Any]]]:
    return business_views(grpc_deps)


def _figures(row: dict[str, Any]) -> tuple[Any, ...]:
    return row["outlets"], row["evaluated"], row["meeting_standard"], row["avg_score"]


def assert_quality(views: dict[str, Callable[[ViewQuery], dict[str, Any]]], month: str) -> None:
    m0, m1, m2 = reversed(months_back(month, 3))
    report = views["GetQualityTerminals"](ViewQuery(caller=S1, months=3))
    assert (_figures(report), report["meeting_pct"]) == ((3, 2, 2, 95.0), 66.7)
    assert (report["designated_quality"], report["designated_meeting_standard"]) == (1, 1)
    assert [(t["store_tier"], *_figures(t)) for t in report["store_tiers"]] == [
        ("旗舰店", 1, 1, 1, 95.0), ("加盟店", 1, 1, 1, 95.0), ("形象店", 0, 0, 0, None), (None, 1, 0, 0, None),
    ]  # fmt: skip
    assert [(g["value"], *_figures(g)) for g in report["items"]] == [
        ("便利店", 2, 1, 1, 95.0), ("超市", 1, 1, 1, 95.0),
    ]  # fmt: skip
    assert [(t["month"], t["evaluated"], t["meeting_standard"], t["avg_score"]) for t in report["trend"]] == [
        (m2, 1, 0, 50.0), (m1, 2, 1, 82.5), (m0, 2, 2, 95.0),
    ]  # fmt: skip
    assert [(g["code"], g["failing"], g["failing_pct"]) for g in report["gaps"]] == [
        ("lightbox", 1, 50.0), ("association", 1, 50.0),
    ]  # fmt: skip
    everyone = views["GetQualityTerminals"](ViewQuery(caller=ADMIN, months=1))
    assert (_figures(everyone), everyone["trend"]) == (
        (4, 3, 3, 96.7), [{"month": m0, "evaluated": 3, "meeting_standard": 3, "avg_score": 96.7}],
    )  # fmt: skip
    assert _figures(views["GetQualityTerminals"](ViewQuery(caller=M2))) == (1, 0, 0, None)


def assert_functional(views: dict[str, Callable[[ViewQuery], dict[str, Any]]], base: date) -> None:
    report = views["GetFunctionalTerminals"](TerminalQuery(caller=S1, days=30))
    assert (report["since"], report["until"], report["outlets"]) == (_day(base, 29), base.isoformat(), 3)
    rows = {f["code"]: f for f in report["functions"]}
    figures = ("outlets", "coverage_pct", "visited", "collected", "scanned", "ordered", "active", "active_pct")
    assert {code: tuple(f[k] for k in figures) for code, f in rows.items()} == {
        "functional_terminal": (1, 33.3, 1, 1, 1, 1, 1, 100.0),
        "collection_point": (1, 33.3, 1, 1, 1, 1, 1, 100.0),
        "brand_cultivation_point": (1, 33.3, 0, 0, 0, 0, 0, 0.0),
        "smart_terminal": (1, 33.3, 1, 1, 1, 1, 1, 100.0),
        "scanner": (2, 66.7, 1, 1, 1, 1, 1, 50.0),
        "online_ordering": (2, 66.7, 1, 1, 1, 1, 1, 50.0),
        "e_settlement": (2, 66.7, 1, 1, 1, 1, 1, 50.0),
    }
    groups = {g["value"]: (g["outlets"], {f["code"]: (f["outlets"], f["coverage_pct"], f["active"])
                                          for f in g["functions"]}) for g in report["items"]}  # fmt: skip
    assert list(groups) == ["便利店", "超市"]
    assert (groups["便利店"][0], groups["便利店"][1]["scanner"]) == (2, (1, 50.0, 1))
    assert (groups["超市"][0], groups["超市"][1]["scanner"], groups["超市"][1]["smart_terminal"]) == (
        1, (1, 100.0, 0), (0, 0.0, 0),
    )  # fmt: skip
    narrow = views["GetFunctionalTerminals"](TerminalQuery(caller=M1, days=1, by="store_tier"))
    assert {f["code"]: f["active"] for f in narrow["functions"]}["scanner"] == 1  # c1 scanned today
    assert [(g["value"], g["outlets"]) for g in narrow["items"]] == [("加盟店", 1), ("旗舰店", 1)]


def assert_forecast(views: dict[str, Callable[[ViewQuery], dict[str, Any]]]) -> None:
    team = views["GetForecast"](ViewQuery(caller=S1, month="2025-07"))
    assert (team["basis_months"], team["weights"]) == (["2025-06", "2025-05", "2025-04"], [3, 2, 1])
    totals = ("customers", "forecast", "agreed_customers", "agreed", "forecast_of_agreed", "difference",
              "difference_pct")  # fmt: skip
    assert tuple(team[k] for k in totals) == (3, 14, 2, 13, 12, -1, -7.7)
    assert [(m["manager_id"], *(m[k] for k in totals)) for m in team["managers"]] == [
        ("m1", 2, 10, 1, 10, 8, -2, -20.0), ("m2", 1, 4, 1, 3, 4, 1, 33.3),
    ]  # fmt: skip
    assert [(i["customer_id"], i["basis"], i["forecast"], i["agreed"], i["difference"]) for i in team["items"]] == [
        ("c1", [10, 8, 3], 8, 10, -2), ("c2", [0, 5, 0], 2, None, None), ("c3", [7, 0, 0], 4, 3, 1),
    ]  # fmt: skip
    one = views["GetCustomerForecast"](ViewQuery(caller=M1, customer_id="c1", month="2025-07"))
    assert [(b["month"], b["ordered"], b["weight"]) for b in one["basis"]] == [
        ("2025-06", 10, 3), ("2025-05", 8, 2), ("2025-04", 3, 1),
    ]  # fmt: skip
    assert (one["forecast"], one["agreed"], one["difference_pct"], one["name"]) == (8, 10, -20.0, "商户 c1")


def test_quality_and_functional_analysis_whatever_the_order_and_repetition(
    grpc_deps: GrpcDeps, apply_shuffled: Callable[..., None]
) -> None:
    base = today(grpc_deps.timezone)
    month = base.isoformat()[:7]
    apply_shuffled([*_outlets(), *quality_events(month), *activity_events(base)], seed=12)
    scans = scan_batches(base)
    scan_views.apply_scan_batches(scans, scans=grpc_deps.scans, timezone=grpc_deps.timezone, facts=grpc_deps.facts)
    views = _views(grpc_deps)
    assert_quality(views, month)
    assert_functional(views, base)
    # Replayed whole, in reverse: nothing changes.
    events = [*reversed(quality_events(month)), *reversed(activity_events(base))]
    business_facts.apply_events(events, facts=grpc_deps.facts, views=grpc_deps.order_views)
    assert_quality(views, month)
    assert_functional(views, base)
    # The rebuild derives the latest activity dates from the stored facts and scan days alone.
    grpc_deps.facts.c["last_activity"].delete_many({})
    assert grpc_deps.facts.backfill_last_activity() == 3
    assert scan_views.backfill_last_scans(scans=grpc_deps.scans, facts=grpc_deps.facts) == 2
    assert_functional(views, base)
    with pytest.raises(BadPeriod):
        views["GetFunctionalTerminals"](TerminalQuery(caller=S1, days=91))
    with pytest.raises(BadPeriod):
        views["GetQualityTerminals"](ViewQuery(caller=S1, months=25))
    with pytest.raises(UnknownAttribute):
        views["GetQualityTerminals"](ViewQuery(caller=S1, by="meets_standard"))
    with pytest.raises(CustomerNotYours):
        views["GetFunctionalTerminals"](TerminalQuery(caller=M2, manager_id="m1"))


def test_the_quality_trend_is_rebuilt_from_the_latest_facts_of_an_older_store(grpc_deps: GrpcDeps) -> None:
    """Facts kept before the history existed: the backfill gives the current month's figures."""
    month = today(grpc_deps.timezone).isoformat()[:7]
    events = [*_outlets(), *quality_events(month)]
    business_facts.apply_events(events, facts=grpc_deps.facts, views=grpc_deps.order_views)
    grpc_deps.facts.c["terminal_history"].delete_many({})
    assert grpc_deps.facts.backfill_terminal_history() == 6
    report = _views(grpc_deps)["GetQualityTerminals"](ViewQuery(caller=ADMIN, months=1))
    assert (report["trend"][0]["meeting_standard"], report["trend"][0]["avg_score"]) == (3, 96.7)


def test_sales_forecast_whatever_the_order_and_repetition(
    grpc_deps: GrpcDeps, apply_shuffled: Callable[..., None]
) -> None:
    apply_shuffled([*_outlets(), *forecast_events()], seed=3)
    views = _views(grpc_deps)
    assert_forecast(views)
    early = views["GetForecast"](ViewQuery(caller=ADMIN, month="0001-02"))
    assert (early["basis_months"], early["weights"], early["forecast"]) == (["0001-01"], [3], 0)
    nothing = views["GetForecast"](ViewQuery(caller=M2, month="2025-05"))  # c3 ordered nothing before May
    assert (nothing["forecast"], nothing["agreed"], nothing["difference"]) == (0, 0, None)
    with pytest.raises(BadPeriod):
        views["GetForecast"](ViewQuery(caller=S1, month="2025-13"))
    with pytest.raises(CustomerNotYours):
        views["GetCustomerForecast"](ViewQuery(caller=M2, customer_id="c1"))
    assert views["GetForecast"](ViewQuery(caller=S1))["month"] > today(grpc_deps.timezone).isoformat()[:7]


def test_the_worker_builds_the_analyses_from_events_published_through_rabbitmq(
    isolation: dict[str, str], grpc_deps: GrpcDeps, spawn_process: Callable[..., Any]
) -> None:
    spawn_process("analytics", "worker", env=isolation)
    base = today(grpc_deps.timezone)
    month = base.isoformat()[:7]
    events = [*_outlets(), *quality_events(month), *activity_events(base), *forecast_events()]
    publisher = EventPublisher(isolation["AMQP_URI"])
    publisher.publish_many([*reversed(events), *scan_batches(base), *events[:8]])  # reversed, some again
    publisher.close()
    views = _views(grpc_deps)

    def converged() -> bool:
        try:
            assert_quality(views, month)
            assert_functional(views, base)
            assert_forecast(views)
        except (AssertionError, KeyError, TypeError, DomainError):
            return False
        return True

    try:
        wait_until(converged, timeout=60, what="the terminal analyses and the forecast from the published events")
    except AssertionError:
        assert_quality(views, month)  # the figure that differs, not only the timeout
        assert_functional(views, base)
        assert_forecast(views)
        raise
