"""Indicators (P-002-8/9/10, P-002-T1): imported targets against the actuals of the order views and
the day-progress facts, for two managers of one team, a month, a week and a week across two months.

Events are applied through the worker's use cases in a shuffled order with repetitions; the
figures are the hand-computed ones of SCENARIO's and TARGETS' docstrings.
"""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

import pytest

from analytics.bootstrap import GrpcDeps, business_views
from analytics.domain.errors import BadPeriod, CustomerNotYours, RoleNotAllowed
from analytics.usecases import business_facts, progress
from analytics.usecases.orders import ViewQuery
from baifang_common.context import Caller
from baifang_common.events import CustomerAssigned, Event, OrdersRecorded, SkuUpserted

pytestmark = pytest.mark.integration

M1, M2 = Caller("m1", "manager", "t1"), Caller("m2", "manager", "t1")
S1, S2, ADMIN = Caller("s1", "supervisor", "t1"), Caller("s2", "supervisor", "t2"), Caller("admin", "admin")
MONTH, WEEK, ACROSS = "2025-06", "2025-W23", "2025-W27"  # W23: 06-02..06-08; W27: 06-30..07-06


def _line(order_id: str, cid: str, sku: str, qty: int, amount: int, day: str) -> dict[str, Any]:
    return {"order_id": order_id, "line_no": 1, "customer_id": cid, "manager_id": "", "team_id": "", "sku": sku,
            "quantity": qty, "amount_fen": amount, "order_date": day}  # fmt: skip


def _sku(sku: str, brand: str) -> SkuUpserted:
    return SkuUpserted(sku=sku, name=brand, brand=brand, short_code=sku, price_class=1, ref_pack_price_fen=1000,
                       ref_carton_price_fen=10000, packs_per_carton=10)  # fmt: skip


def scenario() -> list[Event]:
    """c1, c2 owned by m1, c3 by m2 (team t1); S1 黄山, S2 中华 (the key brands), S3 利群.

    June: c1 06-02 S1 10 ctn 100,000 + S2 4 ctn 160,000, 06-20 S3 6 ctn 60,000; c2 06-05 S1 imported as
    5 ctn then re-imported as 8 ctn 80,000; c3 06-03 S2 3 ctn 120,000, 06-28 S1 7 ctn 70,000; c3 also
    05-30 S1 9 ctn (May) and 07-01 S1 2 ctn 20,000 (July).
    month m1: 28 ctn, 400,000 fen → 14,286 per carton, 黄山 18, 中华 4; m2: 10 ctn, 190,000 → 19,000,
    黄山 7, 中华 3. W23 m1: 22 ctn, 340,000 → 15,455, 黄山 18, 中华 4; m2: 3 ctn, 120,000 → 40,000,
    中华 3. W27 (across June and July): m2 2 ctn 黄山.
    Visits on 06-02: m1 the conftest day (4 planned, 2 done → 50.0 %); m2 3 planned, 1 done → 33.3 %.
    """
    first = OrdersRecorded(import_id="i1", occurred_at="2030-01-01T00:00:01+00:00", lines=[
        _line("O1", "c1", "S1", 10, 100000, "2025-06-02"), _line("O2", "c1", "S2", 4, 160000, "2025-06-02"),
        _line("O3", "c1", "S3", 6, 60000, "2025-06-20"), _line("O4", "c2", "S1", 5, 50000, "2025-06-05"),
        _line("O5", "c3", "S2", 3, 120000, "2025-06-03"), _line("O6", "c3", "S1", 7, 70000, "2025-06-28"),
        _line("O7", "c3", "S1", 9, 90000, "2025-05-30"), _line("O8", "c3", "S1", 2, 20000, "2025-07-01"),
    ])  # fmt: skip
    again = OrdersRecorded(
        import_id="i2", occurred_at="2030-01-01T00:00:09+00:00", lines=[_line("O4", "c2", "S1", 8, 80000, "2025-06-05")]
    )
    owners = [
        CustomerAssigned(customer_id=cid, manager_id=m, team_id="t1", effective_from="2020-01-01")
        for cid, m in (("c1", "m1"), ("c2", "m1"), ("c3", "m2"))
    ]
    return [*owners, _sku("S1", "黄山"), _sku("S2", "中华"), _sku("S3", "利群"), first, again]


def visits(day: SimpleNamespace) -> list[Event]:
    """On the conftest's DATE (2025-06-02): m1's whole day, m2's plan with one visit completed."""
    return [*day.day_of("m1", "t1"), day.plan("m2", "t1"), day.completed("m2", "t1", "m2-v1", "c1", done=2, total=2)]


TARGETS: list[dict[str, Any]] = [
    {"manager_id": "m1", "team_id": "t1", "period": MONTH, "volume": 40, "key_brands": {"黄山": 20, "中华": 5},
     "value_per_carton_fen": 15000, "plan_execution_pct": 80},
    {"manager_id": "m2", "team_id": "t1", "period": MONTH, "volume": 10, "key_brands": [["黄山", 10]],
     "value_per_carton_fen": 20000, "plan_execution_pct": 60.0},
    {"manager_id": "m1", "team_id": "t1", "period": WEEK, "volume": 20, "key_brands": {"黄山": 15},
     "value_per_carton_fen": 16000, "plan_execution_pct": 50},
    {"manager_id": "m2", "team_id": "t1", "period": WEEK, "volume": 5},
]  # fmt: skip


def _apply(grpc_deps: GrpcDeps, day: SimpleNamespace, seed: int) -> None:
    """Every event once in a shuffled order plus a replay of half of them, in random batches."""
    rng = random.Random(seed)
    facts, views = grpc_deps.facts, grpc_deps.order_views
    for events, apply in (
        (scenario(), lambda batch: business_facts.apply_events(batch, facts=facts, views=views)),
        (visits(day), lambda batch: progress.apply_events(batch, days=grpc_deps.days)),
    ):
        stream = [*events, *rng.sample(events, len(events) // 2)]
        rng.shuffle(stream)
        while stream:
            size = rng.randint(1, 4)
            batch, stream = stream[:size], stream[size:]
            apply(batch)


def _import(grpc_deps: GrpcDeps, rows: list[Any], caller: Caller = ADMIN) -> dict[str, Any]:
    return business_views(grpc_deps)["ImportTargets"](ViewQuery(caller=caller, payload=rows))


def _report(grpc_deps: GrpcDeps, caller: Caller, **params: Any) -> dict[str, Any]:
    return business_views(grpc_deps)["GetIndicators"](ViewQuery(caller=caller, **params))


def _row(actual: Any, target: Any, deviation: Any, pct: Any) -> dict[str, Any]:
    return {"target": target, "actual": actual, "deviation": deviation, "deviation_pct": pct}


def _figures(item: dict[str, Any]) -> tuple[Any, ...]:
    brands = {b["brand"]: (b["actual"], b["target"], b["deviation"], b["deviation_pct"]) for b in item["key_brands"]}
    return item["volume"], brands, item["value_per_carton_fen"], item["plan_execution_pct"]


def test_targets_import_is_idempotent_and_reports_each_refused_row(grpc_deps: GrpcDeps) -> None:
    assert _import(grpc_deps, TARGETS) == {"applied": 4, "unchanged": 0, "rejected": []}
    assert _import(grpc_deps, TARGETS) == {"applied": 0, "unchanged": 4, "rejected": []}
    changed = {**TARGETS[3], "volume": 6}
    bad = [
        {"manager_id": "m1", "period": "2025-13"},
        {"manager_id": "m1", "period": MONTH, "key_brands": {"利群": 3}},
        {"manager_id": "m1", "period": MONTH, "volume": -1},
        "not an object",
    ]
    answer = _import(grpc_deps, [TARGETS[0], changed, *bad])
    assert (answer["applied"], answer["unchanged"]) == (1, 1)
    assert [tuple(r[:2]) for r in answer["rejected"]] == [
        (2, "period"), (3, "key_brands"), (4, "volume"), (5, "row"),
    ]  # fmt: skip
    assert "利群" in answer["rejected"][1][2]
    with pytest.raises(RoleNotAllowed):
        _import(grpc_deps, TARGETS, S1)


def test_month_and_week_indicators_against_hand_computed_figures(grpc_deps: GrpcDeps, day: SimpleNamespace) -> None:
    _apply(grpc_deps, day, seed=7)
    _import(grpc_deps, TARGETS)
    month = _report(grpc_deps, S1, month=MONTH)
    assert (month["period"], month["start"], month["end"], month["key_brands"]) == (
        "month", "2025-06-01", "2025-06-30", ["黄山", "中华"],
    )  # fmt: skip
    m1, m2 = month["managers"]
    assert (m1["manager_id"], m1["team_id"], m1["amount_fen"], m1["planned_visits"], m1["completed_visits"]) == (
        "m1", "t1", 400000, 4, 2,
    )  # fmt: skip
    assert _figures(m1) == (
        _row(28, 40, -12, -30.0),
        {"黄山": (18, 20, -2, -10.0), "中华": (4, 5, -1, -20.0)},
        _row(14286, 15000, -714, -4.8),
        _row(50.0, 80.0, -30.0, -37.5),
    )
    assert _figures(m2) == (
        _row(10, 10, 0, 0.0),
        {"黄山": (7, 10, -3, -30.0), "中华": (3, None, None, None)},
        _row(19000, 20000, -1000, -5.0),
        _row(33.3, 60.0, -26.7, -44.5),
    )
    (team,) = month["teams"]
    assert team["team_id"] == "t1" and team["managers"] == 2 and month["totals"]["volume"] == team["volume"]
    assert _figures(team) == (
        _row(38, 50, -12, -24.0),
        {"黄山": (25, 30, -5, -16.7), "中华": (7, 5, 2, 40.0)},
        _row(15526, 16000, -474, -3.0),  # target (40 × 15,000 + 10 × 20,000) / 50; actual 590,000 / 38
        _row(42.9, 70.0, -27.1, -38.7),  # 3 of 7 visits; target the mean of 80 and 60
    )

    week = _report(grpc_deps, M1, week=WEEK)
    assert (week["period"], week["week"], week["start"], week["end"]) == ("week", WEEK, "2025-06-02", "2025-06-08")
    (mine,) = week["managers"]
    assert _figures(mine) == (
        _row(22, 20, 2, 10.0),
        {"黄山": (18, 15, 3, 20.0), "中华": (4, None, None, None)},
        _row(15455, 16000, -545, -3.4),
        _row(50.0, 50.0, 0.0, 0.0),
    )
    other = _report(grpc_deps, ADMIN, week=WEEK, manager_id="m2")["managers"][0]
    assert _figures(other)[0] == _row(3, 5, -2, -40.0) and other["value_per_carton_fen"]["actual"] == 40000
    across = _report(grpc_deps, ADMIN, week=ACROSS)  # m1 has June rows, none of them in the week: 0
    assert [(m["manager_id"], m["volume"]["actual"], m["key_brands"][0]["actual"]) for m in across["managers"]] == [
        ("m1", 0, 0), ("m2", 2, 2),
    ]  # fmt: skip


def test_indicators_follow_the_business_view_scope(grpc_deps: GrpcDeps, day: SimpleNamespace) -> None:
    _apply(grpc_deps, day, seed=11)
    _import(grpc_deps, TARGETS)
    assert [m["manager_id"] for m in _report(grpc_deps, M2, month=MONTH)["managers"]] == ["m2"]
    assert _report(grpc_deps, S2, month=MONTH)["managers"] == []
    assert [m["manager_id"] for m in _report(grpc_deps, ADMIN, month=MONTH, team_id="t1")["managers"]] == ["m1", "m2"]
    with pytest.raises(CustomerNotYours):
        _report(grpc_deps, M1, month=MONTH, manager_id="m2")
    with pytest.raises(CustomerNotYours):
        _report(grpc_deps, S2, month=MONTH, team_id="t1")
    with pytest.raises(BadPeriod):
        _report(grpc_deps, M1, week="2025-W54")


def test_a_day_written_before_it_had_a_month_counts_once_the_rebuild_backfills_it(grpc_deps: GrpcDeps) -> None:
    legacy = {"_id": "m3:2025-06-10", "manager_id": "m3", "team_id": "t1", "date": "2025-06-10",
              "plans": {"p": [["x1", "c9", 1], ["x2", "c8", 1]]},
              "visits": {"x1": {"completion": {"customer_id": "c9"}}}}  # fmt: skip
    grpc_deps.days.collection.insert_one(legacy)
    assert _report(grpc_deps, S1, month=MONTH)["managers"] == []
    assert grpc_deps.days.backfill_months() == 1 and grpc_deps.days.backfill_months() == 0
    (m3,) = _report(grpc_deps, S1, month=MONTH)["managers"]
    assert (m3["manager_id"], m3["planned_visits"], m3["completed_visits"]) == ("m3", 2, 1)
    assert m3["plan_execution_pct"]["actual"] == 50.0


def test_day_counts_equal_a_recount_and_an_older_count_arriving_late_is_dropped(
    grpc_deps: GrpcDeps, day: SimpleNamespace
) -> None:
    """The days' visit counts written batch by batch (shuffled, half replayed) equal the counts the
    rebuild takes from the days; a count taken from an older read of a day (lower rev) never lands."""
    _apply(grpc_deps, day, seed=5)
    day_id = "2025-06-02"  # the conftest's day
    days = grpc_deps.days

    def counts() -> list[tuple[str, int, int]]:
        return [(c["_id"], c["planned"], c["completed"]) for c in days.counts.find({}).sort("_id", 1)]

    def months() -> list[tuple[str, str]]:
        return [(m["_id"], m["days"]) for m in days.month_counts.find({}).sort("_id", 1)]

    incremental, gathered = counts(), months()
    assert incremental == [(f"m1:{day_id}", 4, 2), (f"m2:{day_id}", 3, 1)]  # as the report counts them
    assert gathered == [("m1:2025-06", f'{{"{day_id}":[4,2,"t1"]}}'), ("m2:2025-06", f'{{"{day_id}":[3,1,"t1"]}}')]
    assert days.recount() == 2 and counts() == incremental and months() == gathered
    current = days.counts.find_one({"_id": f"m2:{day_id}"}) or {}
    days.collection.update_one({"_id": f"m2:{day_id}"}, {"$set": {"visits": {}, "plans": {}}})  # an older state
    days.count([f"m2:{day_id}"])  # read back at the same rev: not newer, not written
    assert days.counts.find_one({"_id": f"m2:{day_id}"}) == current


def test_the_calendars_last_month_and_week_answer_with_no_forecast_period(grpc_deps: GrpcDeps) -> None:
    """9999-12 and 9999-W51 have no following period: the report says so instead of failing; 9999-W52
    would end in the year 10000 and is refused like any week that does not exist."""
    month = _report(grpc_deps, S1, month="9999-12")
    week = _report(grpc_deps, S1, week="9999-W51")
    assert (month["start"], month["end"], month["forecast_period"]) == ("9999-12-01", "9999-12-31", None)
    assert (week["start"], week["end"], week["forecast_period"]) == ("9999-12-20", "9999-12-26", None)
    with pytest.raises(BadPeriod):
        _report(grpc_deps, S1, week="9999-W52")
