"""Business views from business events: orders, merchant details, business analysis, the rebuild.

One scenario (SCENARIO's docstring has the hand-computed figures) is fed through the worker's
use case in a shuffled order with repetitions, through the real worker over RabbitMQ, and
rebuilt from the stored facts; every view is checked against the hand-computed numbers.
"""

from __future__ import annotations

import dataclasses
import functools
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from analytics.adapters.order_views_store import empty_summary
from analytics.bootstrap import GrpcDeps, business_views
from analytics.domain.business import months_back
from analytics.domain.errors import (
    BadPeriod,
    CustomerNotYours,
    CustomerUnknown,
    InvalidStandard,
    RoleNotAllowed,
    UnknownAttribute,
)
from analytics.domain.value import ValuePolicy
from analytics.usecases import business_facts, customer_value, order_views, scan_views
from analytics.usecases.customer_value import ValueBook
from analytics.usecases.orders import ViewQuery
from baifang_common.context import Caller
from baifang_common.errors import DomainError
from baifang_common.events import (
    AgreedQuantitySubmitted,
    AppointmentBooked,
    CheckinRecorded,
    CustomerAssigned,
    CustomerIssueChanged,
    CustomerUpserted,
    Event,
    FollowUpChanged,
    NoteWritten,
    NoticePosted,
    NoticeReadRecorded,
    OrdersRecorded,
    PriceInventorySubmitted,
    ScanBatchAccepted,
    SkuUpserted,
    SupplyAdjustmentApproved,
    SupplyAdjustmentRejected,
    SupplyAdjustmentRequested,
    TerminalInfoUpdated,
    TerminalResourcesCollected,
    UnplannedTaskRecorded,
    VisitCompleted,
    VisitMissed,
)
from baifang_common.publisher import EventPublisher
from baifang_common.testing.plugin import unique
from baifang_common.testing.wait import wait_until
from baifang_common.timeutil import today

pytestmark = pytest.mark.integration

M1, M2 = Caller("m1", "manager", "t1"), Caller("m2", "manager", "t1")
S1, S2, ADMIN = Caller("s1", "supervisor", "t1"), Caller("s2", "supervisor", "t2"), Caller("admin", "admin")


def _customer(cid: str, manager: str) -> list[Event]:
    card = CustomerUpserted(
        customer_id=cid, code=f"code-{cid}", short_code=cid, name=f"烟酒店 {cid}", licence_no="340100", address="合肥",
        location={"lat": 31.8, "lon": 117.2}, star=3, terminal_type="便利店", credit_grade="A", value_class="B",
        order_type="online", settlement_method="e", area_id="a1", route_id="r1",
    )  # fmt: skip
    return [card, CustomerAssigned(customer_id=cid, manager_id=manager, team_id="t1", effective_from="2020-01-01")]


def _adjustment(kind: type[Any], aid: str, cid: str, month: str, qty: int, at: int) -> Event:
    return kind(
        adjustment_id=aid, customer_id=cid, month=month, manager_id="m1", team_id="t1",
        lines=[{"sku": "S1", "qty": qty}], reason="wedding season", status=kind.event_type.rsplit(".", 1)[1],
        occurred_at=f"2030-01-01T00:00:{at:02d}+00:00",
    )  # fmt: skip


def _order(order_id: str, line_no: int, cid: str, sku: str, qty: int, amount: int, day: str) -> dict[str, Any]:
    return {"order_id": order_id, "line_no": line_no, "customer_id": cid, "manager_id": "", "team_id": "",
            "sku": sku, "quantity": qty, "amount_fen": amount, "order_date": day}  # fmt: skip


def _collection(cid: str, day: str, submitted: str, s1_price: int, s1_stock: int, s1_sales: int) -> Event:
    lines = [
        {"sku": "S1", "name": "黄山", "pack_price_fen": s1_price, "carton_price_fen": 10000, "ref_pack_price_fen": 1000,
         "ref_carton_price_fen": 10000, "prev_stock": 0, "purchased": 0, "purchased_source": "orders",
         "stock": s1_stock, "sales": s1_sales, "first": True},
        {"sku": "S2", "name": "红方印", "pack_price_fen": 1900, "carton_price_fen": 19000, "ref_pack_price_fen": 2000,
         "ref_carton_price_fen": 20000, "prev_stock": 0, "purchased": 0, "purchased_source": "orders",
         "stock": 2, "sales": 1, "first": True},
    ]  # fmt: skip
    return PriceInventorySubmitted(
        collection_id=f"col-{submitted}", visit_id=f"v-{cid}", customer_id=cid, manager_id="m1", team_id="t1",
        date=day, submitted_at=submitted, client_ts=submitted, lines=lines,
    )  # fmt: skip


PAST, FUTURE = "2020-01-02T08:00:00+00:00", "2999-01-02T08:00:00+00:00"


def _follow_up(fid: str, kind: str, status: str, due: str, at: int) -> Event:
    done = f"2030-01-01T00:00:{at:02d}+00:00" if status == "done" else ""
    return FollowUpChanged(
        follow_up_id=fid, kind=kind, customer_id="c1", manager_id="m1", team_id="t1", visit_id="v-c1",
        status=status, due_at=due, done_at=done, occurred_at=f"2030-01-01T00:00:{at:02d}+00:00",
    )  # fmt: skip


def _issue(iid: str, status: str, version: int, due: str) -> Event:
    return CustomerIssueChanged(
        issue_id=iid, kind="request", customer_id="c1", manager_id="m1", team_id="t1", status=status,
        opened_at="2030-01-01T00:00:00+00:00", reply_due_at=due, changed_by="m1", version=version,
        occurred_at=f"2030-01-01T00:00:{version:02d}+00:00",
    )  # fmt: skip


def open_items() -> list[Event]:
    """c1's follow-ups: F1 opened then done (the done state is final, whatever arrives first), F2 open and
    due in the future, F3 open and overdue → open F3 (overdue), F2 (not), soonest due first.
    Requests: I1 open → in_progress (v2) and overdue; I2 open → in_progress → resolved (v3): not listed;
    I3 open (v1), due in the future."""
    return [
        _follow_up("F1", "thank_you", "open", PAST, 1), _follow_up("F1", "thank_you", "done", PAST, 5),
        _follow_up("F2", "next_steps", "open", FUTURE, 1), _follow_up("F3", "thank_you", "open", PAST, 2),
        _issue("I1", "open", 1, PAST), _issue("I1", "in_progress", 2, PAST),
        _issue("I2", "open", 1, FUTURE), _issue("I2", "in_progress", 2, FUTURE), _issue("I2", "resolved", 3, FUTURE),
        _issue("I3", "open", 1, FUTURE),
    ]  # fmt: skip


def _appointment(aid: str, scheduled: str, minutes: int, purpose: str) -> Event:
    return AppointmentBooked(
        appointment_id=aid, customer_id="c1", manager_id="m1", team_id="t1", date=scheduled[:10],
        booked_at="2020-01-01T00:00:00+00:00", scheduled_at=scheduled, duration_min=minutes, purpose=purpose,
    )  # fmt: skip


def _unplanned(op_id: str, text: str, at: str, day: str) -> Event:
    return UnplannedTaskRecorded(
        event_id=f"ut-{op_id}", occurred_at=at, visit_id="v-c1", customer_id="c1", manager_id="m1", team_id="t1",
        date=day, text=text, client_ts=at, op_id=op_id,
    )  # fmt: skip


def assistant_and_appointments(day: str) -> list[Event]:
    """c1's appointments: P1 in the future (60 min), P2 sooner (30 min), P3 over long ago → upcoming P2, P1.
    Two unplanned tasks on v-c1 (U2 recorded after U1). A note N1 created, updated (v2) then deleted (v3):
    deleted whatever arrives last; notice T1 to team t1, read by m1 twice (the first reading is kept) and m2.
    """
    note = functools.partial(NoteWritten, note_id="N1", author_id="m1")
    read = functools.partial(NoticeReadRecorded, notice_id="T1")
    return [
        _appointment("P1", "2999-01-02T08:00:00+00:00", 60, "新品推介"),
        _appointment("P2", "2998-06-01T01:30:00+00:00", 30, "回访"),
        _appointment("P3", PAST, 45, "过期"),
        _unplanned("U1", "协助整理陈列柜", f"{day}T01:10:00+00:00", day),
        _unplanned("U2", "收集竞品价格", f"{day}T01:20:00+00:00", day),
        note(action="created", version=1, occurred_at="2030-01-01T00:00:01+00:00"),
        note(action="updated", version=2, occurred_at="2030-01-01T00:00:02+00:00"),
        note(action="deleted", version=3, occurred_at="2030-01-01T00:00:03+00:00"),
        NoticePosted(notice_id="T1", author_id="s1", audience="t1", title="本周重点"),
        read(reader_id="m1", read_at="2030-01-01T00:00:05+00:00"),
        read(reader_id="m1", read_at="2030-01-01T00:00:09+00:00"),
        read(reader_id="m2", read_at="2030-01-01T00:00:07+00:00"),
    ]


def scenario(month: str) -> list[Event]:
    """c1, c2 owned by m1 and c3 by m2 (team t1), all 便利店 in area a1. For c1 in `month`:

    agreed 15 (a later, different submission is ignored: immutable, the earliest is kept); adjustments: A1 +3
    approved (approval delivered before the request), A2 +4 rejected, A3 +2 pending → effective 18.
    Orders: O1/1 S1 4 ctn 40,000 fen and O1/2 S2 2 ctn 40,000 on day 1; O2/1 S1 imported as 3 ctn then
    re-imported as 6 ctn 60,000 on day 1 → ordered 12, amount 140,000, remaining 6, progress 66.7 %,
    value per carton 140,000 / 12 = 11,667; by brand 黄山 10 ctn 100,000, 红方印 2 ctn 40,000.
    c3 orders S1 5 ctn 50,000 on day 1. Similar outlets over the window: [12, 0, 5] → median 5,
    c1's percentile 100.0 and c3's 66.7. Price & stock of c1's visit: a later submission (S1 at the
    reference price, stock 4, sales 4) supersedes the first (S1 above it) → sales 5, stock 6,
    compliance 100.0 %, average deviation (0 − 5) / 2 = −2.5 %.
    """
    day = f"{month}-01"
    skus = [
        SkuUpserted(sku="S1", name="黄山", brand="黄山", short_code="hs", price_class=2, ref_pack_price_fen=1000,
                    ref_carton_price_fen=10000, packs_per_carton=10),
        SkuUpserted(sku="S2", name="红方印", brand="红方印", short_code="hfy", price_class=1, ref_pack_price_fen=2000,
                    ref_carton_price_fen=20000, packs_per_carton=10),
    ]  # fmt: skip
    agreed = [
        AgreedQuantitySubmitted(customer_id="c1", month=month, manager_id="m1", team_id="t1", total=total,
                                lines=[{"sku": "S1", "qty": total}], submitted_at=day, occurred_at=at)
        for total, at in ((15, "2030-01-01T00:00:01+00:00"), (99, "2030-01-01T00:00:02+00:00"))
    ]  # fmt: skip
    first_import = OrdersRecorded(
        import_id="i1", occurred_at="2030-01-01T00:00:01+00:00",
        lines=[_order("O1", 1, "c1", "S1", 4, 40000, day), _order("O1", 2, "c1", "S2", 2, 40000, day),
               _order("O2", 1, "c1", "S1", 3, 30000, day), _order("O3", 1, "c3", "S1", 5, 50000, day)],
    )  # fmt: skip
    reimport = OrdersRecorded(
        import_id="i2", occurred_at="2030-01-01T00:00:09+00:00", lines=[_order("O2", 1, "c1", "S1", 6, 60000, day)]
    )
    return [
        *_customer("c1", "m1"), *_customer("c2", "m1"), *_customer("c3", "m2"), *skus, *agreed,
        _adjustment(SupplyAdjustmentApproved, "A1", "c1", month, 3, 5),
        _adjustment(SupplyAdjustmentRequested, "A1", "c1", month, 3, 1),
        _adjustment(SupplyAdjustmentRequested, "A2", "c1", month, 4, 1),
        _adjustment(SupplyAdjustmentRejected, "A2", "c1", month, 4, 5),
        _adjustment(SupplyAdjustmentRequested, "A3", "c1", month, 2, 1),
        first_import, reimport,
        _collection("c1", day, f"{day}T10:00:00.000Z", 1100, 5, 3),
        _collection("c1", day, f"{day}T10:05:00.000Z", 1000, 4, 4),
        VisitCompleted(visit_id="v-c1", customer_id="c1", manager_id="m1", team_id="t1", date=day, temporary=False,
                       method="field", checked_in_at=f"{day}T01:00:00+00:00", completed_at=f"{day}T01:30:00+00:00",
                       tasks_total=2, tasks_done=2, summary="补货"),
        *open_items(), *assistant_and_appointments(day),
    ]  # fmt: skip


def _month(grpc_deps: GrpcDeps) -> str:
    return today(grpc_deps.timezone).isoformat()[:7]


def _views(grpc_deps: GrpcDeps) -> dict[str, Callable[[ViewQuery], dict[str, Any]]]:
    return business_views(grpc_deps)


def assert_hand_computed(views: dict[str, Callable[[ViewQuery], dict[str, Any]]], month: str) -> None:
    progress = views["GetMonthlyOrderProgress"](ViewQuery(caller=M1, month=month))
    (c1,) = progress["items"]
    assert (c1["customer_id"], c1["agreed"], c1["adjusted"], c1["effective"]) == ("c1", 15, 3, 18)
    assert (c1["ordered"], c1["amount_fen"], c1["remaining"], c1["progress_pct"]) == (12, 140000, 6, 66.7)
    team = views["GetMonthlyOrderProgress"](ViewQuery(caller=S1, month=month))
    per_manager = {m["manager_id"]: (m["effective"], m["ordered"], m["progress_pct"]) for m in team["managers"]}
    assert per_manager == {"m1": (18, 12, 66.7), "m2": (0, 5, None)}
    assert (team["ordered"], team["effective"], team["amount_fen"]) == (17, 18, 190000)

    daily = views["GetDailyOrders"](ViewQuery(caller=M1, date=f"{month}-01"))
    assert [(i["customer_id"], i["quantity"], i["amount_fen"]) for i in daily["items"]] == [("c1", 12, 140000)]
    assert [(li["sku"], li["quantity"]) for li in daily["items"][0]["lines"]] == [("S1", 10), ("S2", 2)]
    assert [w["customer_id"] for w in daily["not_ordered"]] == ["c2"]

    analysis = views["GetCustomerAnalysis"](ViewQuery(caller=S1, customer_id="c1", months=3))
    row = analysis["rows"][-1]
    assert (row["month"], row["purchased_cartons"], row["value_per_carton_fen"]) == (month, 12, 11667)
    assert [(b["brand"], b["cartons"], b["amount_fen"]) for b in row["by_brand"]] == [
        ("红方印", 2, 40000),
        ("黄山", 10, 100000),
    ]
    assert [(p["price_class"], p["cartons"]) for p in row["by_price_class"]] == [(1, 2), (2, 10)]
    assert (row["sales"], row["stock"], row["price_compliance_pct"], row["avg_price_deviation_pct"]) == (
        5,
        6,
        100.0,
        -2.5,
    )
    assert (row["effective"], row["ordered"], row["progress_pct"]) == (18, 12, 66.7)
    similar = analysis["similar_outlets"]
    assert (similar["outlets"], similar["median_cartons"], similar["cartons"], similar["percentile"]) == (
        3,
        5.0,
        12,
        100.0,
    )
    assert views["GetCustomerAnalysis"](ViewQuery(caller=M2, customer_id="c3"))["similar_outlets"]["percentile"] == 66.7

    details = views["GetCustomerDetails"](ViewQuery(caller=M1, customer_id="c1"))
    assert (details["card"]["name"], details["manager_id"]) == ("烟酒店 c1", "m1")
    assert (details["orders_this_month"]["effective"], details["orders_this_month"]["ordered"]) == (18, 12)
    assert [a["adjustment_id"] for a in details["open_supply_adjustments"]] == ["A3"]
    assert [line["pack_price_fen"] for line in details["last_collection"]["lines"]] == [1000, 1900]
    assert [(v["visit_id"], v["status"], v["summary"]) for v in details["recent_visits"]] == [
        ("v-c1", "completed", "补货")
    ]
    assert [u["text"] for u in details["recent_visits"][0]["unplanned_tasks"]] == ["协助整理陈列柜", "收集竞品价格"]
    assert [(a["appointment_id"], a["duration_min"], a["purpose"]) for a in details["upcoming_appointments"]] == [
        ("P2", 30, "回访"),
        ("P1", 60, "新品推介"),
    ]
    assert [(f["follow_up_id"], f["kind"], f["overdue"]) for f in details["open_follow_ups"]] == [
        ("F3", "thank_you", True),
        ("F2", "next_steps", False),
    ]
    assert [(r["issue_id"], r["status"], r["due_at"], r["overdue"]) for r in details["open_requests"]] == [
        ("I1", "in_progress", PAST, True),
        ("I3", "open", FUTURE, False),
    ]


def assert_assistant_facts(grpc_deps: GrpcDeps) -> None:
    """Facts no view shows yet (docs/architecture.md): the note's last state, the notice's receipts."""
    facts = grpc_deps.facts.c
    assert {k: v for k, v in (facts["notes"].find_one({"_id": "N1"}) or {}).items() if k != "rank"} == {
        "_id": "N1", "author_id": "m1", "version": 3, "deleted": True,
    }  # fmt: skip
    assert (facts["notices"].find_one({"_id": "T1"}) or {}).get("audience") == "t1"
    reads = {d["reader_id"]: d["read_at"] for d in facts["notice_reads"].find({"notice_id": "T1"})}
    assert reads == {"m1": "2030-01-01T00:00:05+00:00", "m2": "2030-01-01T00:00:07+00:00"}


def test_views_match_hand_computed_figures_whatever_the_order_and_repetition(
    grpc_deps: GrpcDeps, apply_shuffled: Callable[..., None]
) -> None:
    month = _month(grpc_deps)
    apply_shuffled(scenario(month), seed=12, max_batch=6)
    assert_hand_computed(_views(grpc_deps), month)
    assert_assistant_facts(grpc_deps)


@pytest.mark.parametrize("seed", [1, 2])
def test_assistant_and_appointment_facts_in_reverse_order_and_replayed(grpc_deps: GrpcDeps, seed: int) -> None:
    """The newest statements first, then everything again in a shuffled order: the same facts and details."""
    day = f"{_month(grpc_deps)}-01"
    events = [*_customer("c1", "m1"), *assistant_and_appointments(day)]
    apply = functools.partial(business_facts.apply_events, facts=grpc_deps.facts, views=grpc_deps.order_views)
    apply(list(reversed(events)))
    replay = events[:]
    random.Random(seed).shuffle(replay)
    apply(replay)
    assert_assistant_facts(grpc_deps)
    details = _views(grpc_deps)["GetCustomerDetails"](ViewQuery(caller=S1, customer_id="c1"))
    (visit,) = details["recent_visits"]
    assert (visit["status"], len(visit["unplanned_tasks"])) == ("planned", 2)  # no check-in known yet
    assert [a["appointment_id"] for a in details["upcoming_appointments"]] == ["P2", "P1"]


def test_malformed_assistant_and_appointment_events_are_refused(grpc_deps: GrpcDeps) -> None:
    """Refused at consumption (so retried, then dead-lettered), and nothing of them is stored."""
    good = assistant_and_appointments("2025-06-01")
    bad = [
        dataclasses.replace(good[0], scheduled_at="next tuesday"),  # type: ignore[type-var]
        dataclasses.replace(good[3], visit_id=""),  # type: ignore[type-var]
        dataclasses.replace(good[5], action="archived"),  # type: ignore[type-var]
        dataclasses.replace(good[9], reader_id=""),  # type: ignore[type-var]
    ]
    for event in bad:
        with pytest.raises((ValueError, DomainError)):
            business_facts.apply_events([event], facts=grpc_deps.facts, views=grpc_deps.order_views)
    assert all(grpc_deps.facts.c[kind].count_documents({}) == 0 for kind in ("appointments", "visits", "notes"))


def test_a_reassignment_recomputes_only_the_months_not_filed_under_the_new_owner(grpc_deps: GrpcDeps) -> None:
    month = _month(grpc_deps)
    facts, views = grpc_deps.facts, grpc_deps.order_views
    business_facts.apply_events(scenario(month), facts=facts, views=views)
    keys = [("c1", month), ("c3", month)]
    before = views.seqs_of(keys)
    # An import restating the owners recomputes nothing.
    restated = [CustomerAssigned(customer_id=c, manager_id=m, team_id="t1", effective_from="2020-01-01")
                for c, m in (("c1", "m1"), ("c3", "m2"))]  # fmt: skip
    business_facts.apply_events(restated, facts=facts, views=views)
    assert views.seqs_of(keys) == before
    # An order batch whose recompute is still in flight: facts written and counted, view not yet.
    late = OrdersRecorded(import_id="i3", lines=[_order("O9", 1, "c1", "S1", 1, 10000, f"{month}-01")])
    ops: list[Any] = []
    touched: set[Any] = set()
    business_facts.orders_recorded(late, ops, touched)
    facts.write(ops)
    views.touch(touched)
    moved = CustomerAssigned(customer_id="c1", manager_id="m2", team_id="t1", effective_from="2031-01-01")
    business_facts.apply_events([moved], facts=facts, views=views)
    (row,) = [r for r in views.month_rows(month, manager_id="m2") if r["customer_id"] == "c1"]
    assert (row["ordered"], row["seq"]) == (13, before[("c1", month)] + 2)
    assert views.seqs_of([("c3", month)]) == {("c3", month): before[("c3", month)]}


def test_a_rebuild_from_the_facts_equals_the_incremental_views(
    grpc_deps: GrpcDeps, apply_shuffled: Callable[..., None]
) -> None:
    month = _month(grpc_deps)
    apply_shuffled(scenario(month), seed=7, max_batch=6)
    incremental = grpc_deps.order_views.snapshot()
    assert [(d["_id"], d["ordered"], len(d["days"])) for d in incremental["order_months"]] == [
        (f"c1:{month}", 12, 1),
        (f"c3:{month}", 5, 1),
    ]
    assert _summed(incremental) == [
        (f"m1|t1|{month}", [["c1", 12]], 18, 12, 140000, 6, {f"{month}-01": [["c1", 12, 140000]]}),
        (f"m2|t1|{month}", [["c3", 5]], 0, 5, 50000, 0, {f"{month}-01": [["c3", 5, 50000]]}),
    ]
    assert incremental["month_cartons"] == [{"_id": month, "cartons": {"c1": 12, "c3": 5}}]
    assert incremental["owner_rosters"] == [{"_id": "m1|t1", "customers": ["c1", "c2"]},
                                            {"_id": "m2|t1", "customers": ["c3"]}]  # fmt: skip
    assert order_views.rebuild(facts=grpc_deps.facts, views=grpc_deps.order_views) == 2
    assert grpc_deps.order_views.snapshot() == incremental
    assert_hand_computed(_views(grpc_deps), month)
    # A reassignment changes two summaries: c1 leaves m1's (now of 0 customers: not listed) for m2's;
    # replayed, it changes nothing; the rebuild gives the same.
    moved = CustomerAssigned(customer_id="c1", manager_id="m2", team_id="t1", effective_from="2031-01-01")
    for _ in range(2):
        business_facts.apply_events([moved], facts=grpc_deps.facts, views=grpc_deps.order_views)
    incremental = grpc_deps.order_views.snapshot()
    assert _summed(incremental) == [
        (f"m2|t1|{month}", [["c1", 12], ["c3", 5]], 18, 17, 190000, 6,
         {f"{month}-01": [["c1", 12, 140000], ["c3", 5, 50000]]}),
    ]  # fmt: skip
    assert incremental["owner_rosters"] == [{"_id": "m1|t1", "customers": ["c2"]},
                                            {"_id": "m2|t1", "customers": ["c1", "c3"]}]  # fmt: skip
    order_views.rebuild(facts=grpc_deps.facts, views=grpc_deps.order_views)
    assert grpc_deps.order_views.snapshot() == incremental


def _summed(snapshot: dict[str, list[dict[str, Any]]]) -> list[tuple[Any, ...]]:
    """Each summary: customers and cartons, effective, ordered, amount, remaining, orders per day."""
    return [
        (
            s["_id"],
            s["rows"],
            s["effective"],
            s["ordered"],
            s["amount_fen"],
            s["remaining"],
            {day: [order[:3] for order in orders] for day, orders in s["day_orders"].items()},
        )
        for s in snapshot["order_summaries"]
    ]


def test_only_the_owner_their_supervisor_and_admins_read_a_customer(grpc_deps: GrpcDeps) -> None:
    month = _month(grpc_deps)
    business_facts.apply_events(scenario(month), facts=grpc_deps.facts, views=grpc_deps.order_views)
    views = _views(grpc_deps)
    for caller in (M1, S1, ADMIN):
        assert views["GetCustomerDetails"](ViewQuery(caller=caller, customer_id="c1"))["customer_id"] == "c1"
    for caller in (M2, S2):
        with pytest.raises(CustomerNotYours):
            views["GetCustomerDetails"](ViewQuery(caller=caller, customer_id="c1"))
    with pytest.raises(CustomerNotYours):
        views["GetMonthlyOrderProgress"](ViewQuery(caller=M2, manager_id="m1"))
    assert views["GetMonthlyOrderProgress"](ViewQuery(caller=S2, month=month))["items"] == []
    with pytest.raises(CustomerUnknown):
        views["GetCustomerAnalysis"](ViewQuery(caller=ADMIN, customer_id="nobody"))
    with pytest.raises(BadPeriod):
        views["GetMonthlyOrderProgress"](ViewQuery(caller=M1, month="2025-13"))
    # A reassignment moves the customer's month to the new manager.
    moved = CustomerAssigned(customer_id="c1", manager_id="m2", team_id="t1", effective_from="2031-01-01")
    business_facts.apply_events([moved], facts=grpc_deps.facts, views=grpc_deps.order_views)
    assert [i["customer_id"] for i in views["GetMonthlyOrderProgress"](ViewQuery(caller=M2, month=month))["items"]] == [
        "c1",
        "c3",
    ]


def test_the_worker_builds_the_views_from_events_published_through_rabbitmq(
    isolation: dict[str, str], grpc_deps: GrpcDeps, spawn_process: Callable[..., Any]
) -> None:
    spawn_process("analytics", "worker", env=isolation)
    month = _month(grpc_deps)
    events = scenario(month)
    publisher = EventPublisher(isolation["AMQP_URI"])
    publisher.publish_many([*reversed(events), *events[:10]])  # reversed, then some delivered again
    bad = OrdersRecorded(import_id=unique("bad"), lines=[{"order_id": "X", "sku": "S1"}])  # no customer: dead-lettered
    no_visit = dataclasses.replace(assistant_and_appointments(f"{month}-01")[3], visit_id="", event_id=unique("ut"))
    publisher.publish_many([bad, no_visit])  # type: ignore[list-item]
    publisher.close()
    views = _views(grpc_deps)

    def converged() -> bool:
        """Every queue drained as far as the views go (the queues are consumed concurrently)."""
        try:
            assert_hand_computed(views, month)
            assert_assistant_facts(grpc_deps)
        except (AssertionError, ValueError, KeyError, TypeError, DomainError):
            return False
        return True

    try:
        wait_until(converged, timeout=60, what="the views from the published events")
    except AssertionError:
        assert_hand_computed(views, month)  # the figure that differs, not only the timeout
        assert_assistant_facts(grpc_deps)
        raise
    # The worker judged the value class of the customers whose orders it stored (140,000 fen < C's 500,000).
    wait_until(lambda: (grpc_deps.values.store.get("c1") or {}).get("figures", {}).get("amount_fen") == 140000)
    assert grpc_deps.values.store.get("c1")["value_class"] == "D"


def test_a_recompute_that_read_older_facts_never_overwrites_a_newer_one(grpc_deps: GrpcDeps) -> None:
    """Two batches recomputing one key at once: the write of the one that read the facts first
    (a lower seq) arrives last and is dropped."""
    views, key = grpc_deps.order_views, ("c9", "2025-06")
    order = {"order_date": "2025-06-02", "sku": "S1", "quantity": 1, "amount_fen": 9}
    views.replace([order_views.month_view(key, {}, "m1", "t1", seq=5)])
    views.replace([order_views.month_view(key, {"orders": [order]}, "m1", "t1", seq=4)])
    assert [(d["_id"], d["ordered"], d["days"]) for d in views.snapshot()["order_months"]] == [("c9:2025-06", 0, {})]
    assert views.day_rows("2025-06-02") == []


def test_a_month_document_reads_back_from_its_row_as_it_was_computed(grpc_deps: GrpcDeps) -> None:
    """One document per key is stored (the row): the whole month, by SKU and by day, is rebuilt
    from it on read, equal to what the recompute computed; a row written before rows kept their
    lines reads the month document stored beside it then."""
    views, key = grpc_deps.order_views, ("c9", "2025-06")
    orders = [
        {"order_date": day, "sku": sku, "quantity": qty, "amount_fen": qty * 9000}
        for day, sku, qty in (("2025-06-02", "S2", 2), ("2025-06-02", "S1", 1), ("2025-06-09", "S1", 4))
    ]
    agreed = [{"customer_id": "c9", "month": "2025-06", "total": 8}]
    computed = order_views.month_view(key, {"orders": orders, "agreed": agreed}, "m1", "t1", seq=3)
    views.replace([computed])
    assert views.month_of(["c9"], ["2025-06", "2025-07"]) == [computed]
    assert views.retired_months.count_documents({}) == 0
    old = order_views.month_view(("c8", "2025-06"), {"orders": orders[:1]}, "m1", "t1", seq=2)
    views.rows.insert_one({"_id": old["_id"], "customer_id": "c8", "month": "2025-06", "seq": 2, "ordered": 2})
    views.retired_months.insert_one(old)
    assert views.month_of(["c8"], ["2025-06"]) == [{k: v for k, v in old.items() if k != "days"}]


def test_two_recomputes_moving_one_customer_leave_it_in_one_summary(grpc_deps: GrpcDeps) -> None:
    """A recompute sums every owner the customer was ever filed under, read after its row is written:
    the batch moving c9 to m3 read its owners before the one moving it to m2 noted m2, yet sums m2's
    summary again (which the m2 batch summed with c9 in it) and leaves c9 in m3's alone."""
    views, key = grpc_deps.order_views, ("c9", "2025-06")
    order = {"order_date": "2025-06-02", "sku": "S1", "quantity": 1, "amount_fen": 9}
    for seq, owner in ((1, "m1"), (2, "m2")):
        views.file_under({"c9": {f"{owner}|t1"}})
        views.replace([order_views.month_view(key, {"orders": [order]}, owner, "t1", seq=seq)])
        order_views.refresh_summaries([f"{o}|2025-06" for o in views.filed_of(["c9"])["c9"]], views=views)
    assert [(s["_id"], s["rows"]) for s in views.month_summaries("2025-06")] == [("m2|t1|2025-06", [["c9", 1]])]
    views.file_under({"c9": {"m3|t1"}})
    views.replace([order_views.month_view(key, {"orders": [order]}, "m3", "t1", seq=3)])
    summed = [f"{o}|2025-06" for o in sorted(views.filed_of(["c9"])["c9"])]
    assert order_views.refresh_summaries(summed, views=views) == 3
    assert [(s["_id"], s["rows"]) for s in views.month_summaries("2025-06")] == [("m3|t1|2025-06", [["c9", 1]])]


def test_two_batches_moving_one_customer_leave_it_in_one_roster(grpc_deps: GrpcDeps) -> None:
    """The batch whose owner stays reads back every owner noted for the customer, also one noted by
    a batch that read the notes before it: c1 moved to m2 and (later effective) to m3 is in m3's
    roster alone, even when the m2 batch sums m2's roster after the m3 batch."""
    facts, views = grpc_deps.facts, grpc_deps.order_views
    business_facts.apply_events(_customer("c1", "m1"), facts=facts, views=views)
    to_m3 = CustomerAssigned(customer_id="c1", manager_id="m3", team_id="t1", effective_from="2031-02-01")
    business_facts.apply_events([to_m3], facts=facts, views=views)
    views.note_owners({"c1": {"m2|t1"}})  # a batch moving c1 to m2 (effective earlier): noted, then
    order_views.refresh_rosters(["m2|t1"], facts=facts, views=views)  # summed before its owner write lost
    assert [(o.customer_id, o.manager_id) for o in views.owned(team_id="t1")] == [("c1", "m3")]
    replayed = CustomerAssigned(customer_id="c1", manager_id="m2", team_id="t1", effective_from="2031-01-01")
    business_facts.apply_events([replayed, to_m3], facts=facts, views=views)  # late, and m3's again
    assert [(o.customer_id, o.manager_id) for o in views.owned()] == [("c1", "m3")]
    assert views.owned(manager_id="m1") == views.owned(manager_id="m2") == []


def test_a_summary_summed_before_a_newer_one_never_overwrites_it(grpc_deps: GrpcDeps) -> None:
    """Two recomputes summing one summary (or a month's cartons) at once: the one that counted the
    change first (a lower seq) writes last and is dropped, so a customer that moved away does not
    come back."""
    views = grpc_deps.order_views
    row = {"customer_id": "c9", "team_id": "t1", "agreed": 3, "adjusted": 0, "effective": 3, "ordered": 1,
           "amount_fen": 9, "day_totals": {"2025-06-02": [1, 9]},
           "day_lines": {"2025-06-02": [["S1", 1, 9]]}}  # fmt: skip
    (held,) = order_views.summaries_of("m1|2025-06", [row])
    views.write_summaries([{**empty_summary("m1", "t1", "2025-06"), "seq": 6}])  # c9 moved away: summed at 6
    views.write_summaries([{**held, "seq": 5}])  # summed earlier, written later
    assert views.month_summaries("2025-06") == []
    assert views.snapshot()["order_summaries"] == []
    views.write_month_cartons("2025-06", {}, seq=3)
    views.write_month_cartons("2025-06", {"c9": 1}, seq=2)  # summed earlier, written later
    assert views.month_cartons(["2025-06", "2025-07"]) == {"2025-06": {}}
    views.write_summaries([{**held, "seq": 7}])
    assert [(s["customers"], s["remaining"], s["day_skus"]) for s in views.month_summaries("2025-06")] == [
        (1, 2, {"2025-06-02": [["S1", 1]]})
    ]


def _scans(batch_id: str, cid: str, day: date, timezone: str, scans: list[tuple[str, str, int, float]]) -> Event:
    noon = datetime.combine(day, datetime.min.time(), ZoneInfo(timezone)).replace(hour=12).isoformat()
    return ScanBatchAccepted(
        batch_id=batch_id, device_id=f"d-{cid}", customer_id=cid, received_at=noon,
        scans=[{"code": f"{batch_id}-{i}", "sku": sku, "kind": kind, "qty": qty, "unit_price": price, "ts": noon}
               for i, (kind, sku, qty, price) in enumerate(scans)],
    )  # fmt: skip


def test_scan_views_match_hand_computed_figures(grpc_deps: GrpcDeps) -> None:
    """c1 counted S1 4, S2 2 three days ago; then (b1, delivered twice) bought 10 S1 at 8.0 and sold 3 at
    10.0; yesterday (b2) sold 2 S1 at 10.0 and 1 S2 at 20.0; today (b3) sold 1 S1 at 10.5 and bought 5 S2
    at 15.0. Stock S1 4 + 10 − 6 = 8, S2 2 + 5 − 1 = 6. Profit S1 60.5 − 6 × 8.0 = 12.5, S2 20 − 15 = 5.
    c3 scanned two days ago only: silent yesterday."""
    tz = grpc_deps.timezone
    now = today(tz)
    month = now.isoformat()[:7]
    business_facts.apply_events(
        [*_customer("c1", "m1"), *_customer("c3", "m2"), _collection("c1", (now - timedelta(days=3)).isoformat(),
                                                                     "2020-01-01T00:00:00Z", 1000, 4, 0)],
        facts=grpc_deps.facts, views=grpc_deps.order_views,
    )  # fmt: skip
    b1 = _scans("b1", "c1", now - timedelta(days=2), tz, [("purchase", "S1", 10, 8.0), ("sale", "S1", 3, 10.0)])
    batches = [
        b1, b1,
        _scans("b2", "c1", now - timedelta(days=1), tz, [("sale", "S1", 2, 10.0), ("sale", "S2", 1, 20.0)]),
        _scans("b3", "c1", now, tz, [("sale", "S1", 1, 10.5), ("purchase", "S2", 5, 15.0)]),
        _scans("b4", "c3", now - timedelta(days=2), tz, [("sale", "S1", 1, 10.0)]),
    ]  # fmt: skip
    scan_views.apply_scan_batches(batches, scans=grpc_deps.scans, timezone=tz)  # type: ignore[arg-type]
    views = _views(grpc_deps)

    stock = views["GetStockLive"](ViewQuery(caller=M1, customer_id="c1"))
    assert [(r["sku"], r["counted"], r["bought_qty"], r["sold_qty"], r["stock"]) for r in stock["items"]] == [
        ("S1", 4, 10, 6, 8),
        ("S2", 2, 5, 1, 6),
    ]
    live = views["GetScansLive"](ViewQuery(caller=S1, customer_id="c1"))
    assert [
        (r["sku"], r["sold_qty"], r["sold_amount"], r["bought_qty"], r["bought_amount"]) for r in live["items"]
    ] == [
        ("S1", 1, 10.5, 0, 0.0),
        ("S2", 0, 0.0, 5, 75.0),
    ]
    yesterday = views["GetScansYesterday"](ViewQuery(caller=S1))
    (row,) = yesterday["items"]
    assert (row["customer_id"], row["sold_qty"], row["sold_amount"], yesterday["silent_outlets"]) == (
        "c1",
        3,
        40.0,
        ["c3"],
    )
    assert row["top_skus"] == [{"sku": "S1", "sold_qty": 2}, {"sku": "S2", "sold_qty": 1}]
    assert views["GetScansYesterday"](ViewQuery(caller=M2))["silent_outlets"] == ["c3"]
    if now.day >= 3:  # every batch in this month
        profit = views["GetProfitCurrent"](ViewQuery(caller=M1, customer_id="c1", month=month))
        assert [(r["sku"], r["sold_qty"], r["revenue"], r["profit"]) for r in profit["items"]] == [
            ("S1", 6, 60.5, 12.5),
            ("S2", 1, 20.0, 5.0),
        ]
        assert (profit["revenue"], profit["profit"]) == (80.5, 17.5)
    with pytest.raises(CustomerNotYours):
        views["GetStockLive"](ViewQuery(caller=M2, customer_id="c1"))


def _terminal(cid: str, kind: type[Any], values: dict[str, Any], version: int = 1) -> Event:
    extra = {"card_fields": {}} if kind is TerminalInfoUpdated else {}
    return kind(
        customer_id=cid, version=version, values=values, saved_by="m1", saved_at="2025-06-01T00:00:00Z", **extra
    )


def test_terminal_evaluation_and_statistics_against_the_standard(grpc_deps: GrpcDeps) -> None:
    """Default standard (weights 10 ledger, 10 stock classification, 15 rails ≥ 1, 10 counter ≥ 1.2 m,
    5 lightbox, 15 online ordering, 10 e-settlement, 15 scanner, 5 association, 5 三店). c1 meets all but
    stock classification, counter (1.0 m) and e-settlement: 70.0; c3 all but 三店 ("无"): 95.0; c2 nothing
    collected. An older version of c1's resources arriving last changes nothing."""
    full = {"ledger": True, "stock_classification": True, "display_rails": 2, "counter_length": 1.5,
            "lightbox": True, "online_ordering": True, "e_settlement": True, "pos_device": True}  # fmt: skip
    c1 = {**full, "stock_classification": False, "counter_length": 1.0, "e_settlement": False}
    events = [
        *_customer("c1", "m1"), *_customer("c2", "m1"), *_customer("c3", "m2"),
        _terminal("c1", TerminalResourcesCollected, c1, version=2),
        _terminal("c1", TerminalInfoUpdated, {"association_member": True, "store_tier": "旗舰店"}),
        _terminal("c3", TerminalResourcesCollected, full),
        _terminal("c3", TerminalInfoUpdated, {"association_member": True, "store_tier": "无"}),
        _terminal("c1", TerminalResourcesCollected, full, version=1),
    ]  # fmt: skip
    business_facts.apply_events(events, facts=grpc_deps.facts, views=grpc_deps.order_views)
    views = _views(grpc_deps)
    evaluation = views["GetTerminalEvaluation"](ViewQuery(caller=M1, customer_id="c1"))
    assert (evaluation["score"], evaluation["meets_standard"], evaluation["standard_version"]) == (70.0, False, 0)
    assert [(f["code"], f["value"]) for f in evaluation["failing"]] == [
        ("stock_classification", False),
        ("counter", 1.0),
        ("e_settlement", False),
    ]
    assert all(f["guidance"] for f in evaluation["failing"])
    by_type = views["GetTerminalStats"](ViewQuery(caller=S1))
    assert [
        (g["value"], g["outlets"], g["evaluated"], g["avg_score"], g["meeting_standard"]) for g in by_type["items"]
    ] == [("便利店", 3, 2, 82.5, 1)]
    by_tier = views["GetTerminalStats"](ViewQuery(caller=S1, by="store_tier"))
    assert [(g["value"], g["outlets"], g["avg_score"]) for g in by_tier["items"]] == [
        (None, 1, None),
        ("旗舰店", 1, 70.0),
        ("无", 1, 95.0),
    ]
    assert views["GetTerminalStats"](ViewQuery(caller=M2))["outlets"] == 1

    scanner_only = [{"code": "scanner", "label": "扫码设备", "item": "pos_device", "test": "true", "weight": 1}]
    saved = views["SetTerminalStandard"](ViewQuery(caller=ADMIN, payload=scanner_only))
    assert saved["version"] == 1
    assert views["SetTerminalStandard"](ViewQuery(caller=ADMIN, payload=scanner_only))["version"] == 1
    assert views["GetTerminalEvaluation"](ViewQuery(caller=S1, customer_id="c1"))["score"] == 100.0
    with pytest.raises(RoleNotAllowed):
        views["SetTerminalStandard"](ViewQuery(caller=S1, payload=scanner_only))
    with pytest.raises(InvalidStandard):
        views["SetTerminalStandard"](ViewQuery(caller=ADMIN, payload=[{**scanner_only[0], "weight": 0}]))
    with pytest.raises(UnknownAttribute):
        views["GetTerminalStats"](ViewQuery(caller=S1, by="nonsense"))


def _value_orders(today_: date) -> tuple[OrdersRecorded, OrdersRecorded]:
    """Order lines dated the 1st of months counted back from the current one (tenure = whole months)."""

    def line(oid: str, cid: str, months: int, qty: int, amount: int) -> dict[str, Any]:
        return _order(oid, 1, cid, "S1", qty, amount, f"{months_back(today_.isoformat()[:7], months + 1)[0]}-01")

    first = OrdersRecorded(import_id="vi1", occurred_at="2030-01-01T00:00:01+00:00", lines=[
        line("V1", "c1", 17, 2, 30000), line("V2", "c1", 3, 5, 60000), line("V3", "c1", 0, 4, 50000),
        line("V4", "c3", 41, 10, 100000), line("V5", "c3", 1, 6, 80000),
    ])  # fmt: skip
    reimport = OrdersRecorded(
        import_id="vi2", occurred_at="2030-01-01T00:00:09+00:00", lines=[line("V3", "c1", 0, 8, 90000)]
    )
    return first, reimport


def test_value_class_from_purchases_and_tenure_with_history(grpc_deps: GrpcDeps) -> None:
    """Thresholds: A ≥ 200,000 fen, B ≥ 120,000, C ≥ 50,000 over 12 months; 24 months of tenure lift a class.

    c1: first order 17 months ago (30,000, outside the window: tenure 17, no lift); 60,000 three months ago
    and this month's V3 imported as 50,000 → 110,000: C; V3 re-imported as 90,000 → 150,000: B. History,
    the class at each month's end: D from the first month (30,000), C from three months ago (60,000),
    B today (150,000). c3: 80,000 last month → C, first order 41 months ago → lifted to B. c2 has no orders: D.
    """
    book = ValueBook(
        store=grpc_deps.values.store,
        policy=ValuePolicy(window_months=12, a_min_fen=200_000, b_min_fen=120_000, c_min_fen=50_000),
        timezone=grpc_deps.timezone,
        views=grpc_deps.order_views,
    )
    first, reimport = _value_orders(today(grpc_deps.timezone))
    cards = [*_customer("c1", "m1"), *_customer("c2", "m1"), *_customer("c3", "m2")]
    apply = functools.partial(business_facts.apply_events, facts=grpc_deps.facts, views=grpc_deps.order_views)
    apply([*cards, first], values=book)
    assert [h["value_class"] for h in book.store.get("c1")["history"]] == ["D", "C"]
    apply([reimport, first], values=book)  # the re-import, then the first import delivered again: V3 stays 90,000
    apply([first, *cards, reimport], values=book)  # a replay of everything: no new history
    incremental = {doc["_id"]: doc for doc in book.store.snapshot()}
    assert customer_value.recompute_all(facts=grpc_deps.facts, book=book) == 3
    full = {doc["_id"]: doc for doc in book.store.snapshot()}
    assert {cid: full[cid] for cid in incremental} == incremental  # the scheduled run agrees with the worker's
    assert {cid: doc["value_class"] for cid, doc in full.items()} == {"c1": "B", "c2": "D", "c3": "B"}

    view = customer_value.customer_value(ViewQuery(caller=S1, customer_id="c1"), facts=grpc_deps.facts, book=book)
    figures = view["figures"]
    assert (view["value_class"], figures["amount_fen"], figures["cartons"], figures["order_months"]) == (
        "B", 150000, 13, 2,
    )  # fmt: skip
    assert (figures["tenure_months"], figures["payment_behaviour"]) == (17, None)
    months = months_back(today(grpc_deps.timezone).isoformat()[:7], 18)
    assert [(h["value_class"], h["month"], h["amount_fen"]) for h in view["history"]] == [
        ("D", months[0], 30000), ("C", months[14], 60000), ("B", months[17], 150000),
    ]  # fmt: skip
    assert view["history"][-1]["since"] == view["computed_on"]
    assert full["c3"]["figures"]["tenure_months"] == 41 and full["c3"]["figures"]["amount_fen"] == 80000
    with pytest.raises(CustomerNotYours):
        customer_value.customer_value(ViewQuery(caller=M2, customer_id="c1"), facts=grpc_deps.facts, book=book)


def _tiered(cid: str, manager: str, team: str, tier: str) -> list[Event]:
    card, assigned = _customer(cid, manager)
    return [
        dataclasses.replace(card, value_class=tier),
        dataclasses.replace(assigned, team_id=team),
    ]


def _done(visit_id: str, cid: str, manager: str, day: str) -> Event:
    return VisitCompleted(
        visit_id=visit_id, customer_id=cid, manager_id=manager, team_id="t1", date=day, temporary=False,
        method="field", checked_in_at=f"{day}T01:00:00+00:00", completed_at=f"{day}T01:30:00+00:00",
        tasks_total=1, tasks_done=1,
    )  # fmt: skip


def frequency_scenario() -> list[Event]:
    """Default table: A and B once a month, C once in three months, D nothing. Team t1: m1 owns f1 (A),
    f2 (B), f3 (C), f4 (D); m2 owns f5 (B). Team t2: m3 owns f6 (A).

    June 2025: f1 visited 06-10 (met; a second visit only checked in does not count); f2 last visited
    05-20 (below); f3 visited 04-15, inside April–June (met); f4 asks nothing; f5's visit was missed
    (below); f6 never visited (below, team t2). → team t1: 4 customers, 2 below, 50.0 %;
    m1 3 / 1 / 66.7, m2 1 / 1 / 0.0. July 2025: every t1 customer with a frequency is below (0.0 %).
    """
    checked_in_only = CheckinRecorded(
        checkin_id="ci-f1b", visit_id="v-f1b", customer_id="f1", manager_id="m1", team_id="t1",
        date="2025-06-20", lat=31.8, lon=117.2, accuracy_m=5.0, distance_m=3.0, verdict="ok",
        verdict_reason="", mock_location=False, client_ts="2025-06-20T09:00:00+08:00",
        received_at="2025-06-20T01:00:00+00:00",
    )  # fmt: skip
    return [
        *_tiered("f1", "m1", "t1", "A"), *_tiered("f2", "m1", "t1", "B"), *_tiered("f3", "m1", "t1", "C"),
        *_tiered("f4", "m1", "t1", "D"), *_tiered("f5", "m2", "t1", "B"), *_tiered("f6", "m3", "t2", "A"),
        _done("v-f1", "f1", "m1", "2025-06-10"), checked_in_only, _done("v-f2", "f2", "m1", "2025-05-20"),
        _done("v-f3", "f3", "m1", "2025-04-15"),
        VisitMissed(visit_id="v-f5", customer_id="f5", manager_id="m2", team_id="t1", date="2025-06-05"),
    ]  # fmt: skip


def test_visit_frequency_compliance_per_tier_and_manager(
    grpc_deps: GrpcDeps, apply_shuffled: Callable[..., None]
) -> None:
    apply_shuffled(frequency_scenario(), seed=3, max_batch=6)
    view = _views(grpc_deps)["GetVisitFrequencyCompliance"]
    team = view(ViewQuery(caller=S1, month="2025-06"))
    assert (team["customers"], team["below"], team["compliance_pct"]) == (4, 2, 50.0)
    assert [(m["manager_id"], m["customers"], m["below"], m["compliance_pct"]) for m in team["managers"]] == [
        ("m1", 3, 1, 66.7),
        ("m2", 1, 1, 0.0),
    ]
    assert [(i["customer_id"], i["tier"], i["required"], i["visits"]) for i in team["items"]] == [
        ("f2", "B", 1, 0),
        ("f5", "B", 1, 0),
    ]
    assert team["frequency"] == {"A": [1, 1], "B": [1, 1], "C": [1, 3], "D": [0, 1]}
    mine = view(ViewQuery(caller=M1, month="2025-06"))
    assert (mine["customers"], [i["customer_id"] for i in mine["items"]]) == (3, ["f2"])
    everyone = view(ViewQuery(caller=ADMIN, month="2025-06"))
    assert (everyone["customers"], everyone["below"]) == (5, 3)
    july = view(ViewQuery(caller=S1, month="2025-07"))
    assert (july["below"], july["compliance_pct"]) == (4, 0.0)
    with pytest.raises(CustomerNotYours):
        view(ViewQuery(caller=M2, manager_id="m1"))
    with pytest.raises(BadPeriod):
        view(ViewQuery(caller=S1, month="2025-13"))


def test_an_open_item_with_a_malformed_due_time_is_refused_at_consumption(grpc_deps: GrpcDeps) -> None:
    """Refused (so retried, then dead-lettered) rather than stored and failing every read of the details."""
    for bad in (_follow_up("F9", "thank_you", "open", "next week", 1), _issue("I9", "open", 1, "soon")):
        with pytest.raises(DomainError):
            business_facts.apply_events([bad], facts=grpc_deps.facts, views=grpc_deps.order_views)
    business_facts.apply_events(_customer("c1", "m1"), facts=grpc_deps.facts, views=grpc_deps.order_views)
    details = _views(grpc_deps)["GetCustomerDetails"](ViewQuery(caller=M1, customer_id="c1"))
    assert (details["open_follow_ups"], details["open_requests"]) == ([], [])


def moving_lines(previous: str, earlier: str) -> list[Event]:
    """cA owned by m1, cB by m2 (team t1). Import i1: R1 cA 4 ctn 40,000 and R2 cA 3 ctn 30,000 on
    `previous`-01, R3 cA 2 ctn 20,000 on `earlier`-15, R4 cB 1 ctn 10,000 on `earlier`-20. Re-import
    i2 (later) corrects the outlet or the date of three lines and names only cB: R1 → cB, same day;
    R3 → cB on `previous`-02 (another customer and month); R4 → cB on `previous`-03 (another month).

    After i2: cA `previous` R2 alone: 3 ctn 30,000 (day 01); `earlier` nothing. cB `previous` R1 4 ctn
    40,000 (day 01), R3 2 ctn 20,000 (day 02), R4 1 ctn 10,000 (day 03): 7 ctn 70,000; `earlier` nothing.
    """
    first = OrdersRecorded(import_id="i1", occurred_at="2030-01-01T00:00:01+00:00", lines=[
        _order("R1", 1, "cA", "S1", 4, 40000, f"{previous}-01"),
        _order("R2", 1, "cA", "S1", 3, 30000, f"{previous}-01"),
        _order("R3", 1, "cA", "S1", 2, 20000, f"{earlier}-15"),
        _order("R4", 1, "cB", "S1", 1, 10000, f"{earlier}-20"),
    ])  # fmt: skip
    correction = OrdersRecorded(import_id="i2", occurred_at="2030-01-01T00:00:09+00:00", lines=[
        _order("R1", 1, "cB", "S1", 4, 40000, f"{previous}-01"),
        _order("R3", 1, "cB", "S1", 2, 20000, f"{previous}-02"),
        _order("R4", 1, "cB", "S1", 1, 10000, f"{previous}-03"),
    ])  # fmt: skip
    return [*_customer("cA", "m1"), *_customer("cB", "m2"), first, correction]


def _two_months(grpc_deps: GrpcDeps) -> tuple[str, str]:
    """The month before the current one and the month before that (every date in the past)."""
    earlier, previous, _ = sorted(months_back(_month(grpc_deps), 3))
    return previous, earlier


def assert_lines_moved(grpc_deps: GrpcDeps, previous: str, earlier: str) -> None:
    """Both customers' daily and monthly figures, the owners' summaries and the value-class inputs."""
    views = _views(grpc_deps)

    def daily(caller: Caller, day: str) -> list[tuple[str, int, int]]:
        items = views["GetDailyOrders"](ViewQuery(caller=caller, date=f"{day}"))["items"]
        return [(i["customer_id"], i["quantity"], i["amount_fen"]) for i in items]

    def monthly(caller: Caller, month: str) -> list[tuple[str, int, int]]:
        items = views["GetMonthlyOrderProgress"](ViewQuery(caller=caller, month=month))["items"]
        return [(i["customer_id"], i["ordered"], i["amount_fen"]) for i in items]

    assert daily(M1, f"{previous}-01") == [("cA", 3, 30000)]
    assert daily(M2, f"{previous}-01") == [("cB", 4, 40000)]
    assert daily(M2, f"{previous}-02") == [("cB", 2, 20000)]
    assert daily(M2, f"{previous}-03") == [("cB", 1, 10000)]
    assert daily(M1, f"{earlier}-15") == [] and daily(M2, f"{earlier}-20") == []
    assert monthly(M1, previous) == [("cA", 3, 30000)]
    assert monthly(M2, previous) == [("cB", 7, 70000)]
    assert [o for m in (M1, M2) for o in monthly(m, earlier) if o[1]] == []
    team = views["GetMonthlyOrderProgress"](ViewQuery(caller=S1, month=previous))
    assert {m["manager_id"]: m["ordered"] for m in team["managers"]} == {"m1": 3, "m2": 7}
    assert _summed(grpc_deps.order_views.snapshot()) == [
        (f"m1|t1|{earlier}", [["cA", 0]], 0, 0, 0, 0, {}),
        (f"m1|t1|{previous}", [["cA", 3]], 0, 3, 30000, 0, {f"{previous}-01": [["cA", 3, 30000]]}),
        (f"m2|t1|{earlier}", [["cB", 0]], 0, 0, 0, 0, {}),
        (f"m2|t1|{previous}", [["cB", 7]], 0, 7, 70000, 0, {f"{previous}-01": [["cB", 4, 40000]],
         f"{previous}-02": [["cB", 2, 20000]], f"{previous}-03": [["cB", 1, 10000]]}),
    ]  # fmt: skip
    order_days = grpc_deps.order_views.order_days(["cA", "cB"])
    assert {cid: sorted((d["order_date"], d["quantity"], d["amount_fen"]) for d in days or [])
            for cid, days in order_days.items()} == {
        "cA": [(f"{previous}-01", 3, 30000)],
        "cB": [(f"{previous}-01", 4, 40000), (f"{previous}-02", 2, 20000), (f"{previous}-03", 1, 10000)],
    }  # fmt: skip


def test_a_re_import_moving_a_line_to_another_customer_or_month_recomputes_the_keys_it_left(
    grpc_deps: GrpcDeps,
) -> None:
    """The later statement of a line wins (its event's occurred_at), whatever arrives first: the
    first import delivered again after the correction moves nothing back; the rebuild agrees."""
    previous, earlier = _two_months(grpc_deps)
    *cards, first, correction = moving_lines(previous, earlier)
    book = ValueBook(
        store=grpc_deps.values.store,
        policy=ValuePolicy(window_months=12, a_min_fen=200_000, b_min_fen=120_000, c_min_fen=50_000),
        timezone=grpc_deps.timezone,
        views=grpc_deps.order_views,
    )
    apply = functools.partial(business_facts.apply_events, facts=grpc_deps.facts, views=grpc_deps.order_views)
    apply([*cards, first], values=book)
    assert grpc_deps.order_views.ordered(["cA"], [previous, earlier]) == {"cA": 9}
    assert book.store.get("cA")["figures"]["amount_fen"] == 90000
    apply([correction], values=book)
    assert_lines_moved(grpc_deps, previous, earlier)
    apply([first], values=book)  # the first import delivered late: the correction stays
    assert_lines_moved(grpc_deps, previous, earlier)
    figures = {cid: book.store.get(cid)["figures"] for cid in ("cA", "cB")}
    assert {cid: (f["amount_fen"], f["cartons"]) for cid, f in figures.items()} == {
        "cA": (30000, 3), "cB": (70000, 7),
    }  # fmt: skip
    # The history follows the corrected facts: cA never held 90,000 at a month's end.
    assert [h["value_class"] for h in book.store.get("cA")["history"]] == ["D"]
    incremental = grpc_deps.order_views.snapshot()
    order_views.rebuild(facts=grpc_deps.facts, views=grpc_deps.order_views)
    assert grpc_deps.order_views.snapshot() == incremental


@pytest.mark.parametrize("seed", [3, 4])
def test_moved_lines_whatever_the_order_and_repetition(
    grpc_deps: GrpcDeps, apply_shuffled: Callable[..., None], seed: int
) -> None:
    previous, earlier = _two_months(grpc_deps)
    apply_shuffled(moving_lines(previous, earlier), seed=seed, max_batch=3)
    assert_lines_moved(grpc_deps, previous, earlier)
    incremental = grpc_deps.order_views.snapshot()
    order_views.rebuild(facts=grpc_deps.facts, views=grpc_deps.order_views)
    assert grpc_deps.order_views.snapshot() == incremental


def test_a_rebuild_gives_lines_stored_before_homes_were_kept_their_home(grpc_deps: GrpcDeps) -> None:
    """Order lines stored without homes (an older version): after the rebuild a move recomputes the key left."""
    previous, earlier = _two_months(grpc_deps)
    *cards, first, correction = moving_lines(previous, earlier)
    apply = functools.partial(business_facts.apply_events, facts=grpc_deps.facts, views=grpc_deps.order_views)
    apply([*cards, first])
    grpc_deps.facts.c["orders"].update_many({}, {"$unset": {"homes": ""}})
    order_views.rebuild(facts=grpc_deps.facts, views=grpc_deps.order_views)
    apply([correction])
    assert_lines_moved(grpc_deps, previous, earlier)
