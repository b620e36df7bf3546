"""The per-owner summaries the group views read (the forecast list, visit-frequency compliance)
equal the answer computed from the rows and facts they summarise: after shuffled and replayed
events, after a reassignment to another manager and team, and after `make rebuild-analytics`.

The references are the views as computed before the summaries existed: `_forecast_from_rows`
reads the scope's owners, each customer's lean order rows of the basis months by `_id` and the
agreed quantity facts of the forecast month; `_frequency_from_facts` the owners, the cards and
every completed visit fact of the period; `_scans_from_days` the owners and the outlet-days of
the scan store.
"""

from __future__ import annotations

import dataclasses
import functools
import random
from collections.abc import Callable
from datetime import timedelta
from fractions import Fraction
from typing import Any

import pytest

from analytics.adapters.order_views_store import shard_key
from analytics.adapters.visit_tally_store import SHARDS
from analytics.bootstrap import GrpcDeps, business_views
from analytics.domain import forecast as rules
from analytics.domain import visit_frequency as freq
from analytics.domain.business import months_back, scope_for
from analytics.usecases import business_facts, order_views, scan_views, visit_frequency
from analytics.usecases.orders import ViewQuery
from baifang_common.context import Caller
from baifang_common.events import (
    AgreedQuantitySubmitted,
    CustomerAssigned,
    CustomerUpserted,
    Event,
    OrdersRecorded,
    ScanBatchAccepted,
    VisitCompleted,
    VisitMissed,
)
from baifang_common.timeutil import today

pytestmark = pytest.mark.integration

OWNERS = {"c1": ("m1", "t1"), "c2": ("m1", "t1"), "c3": ("m2", "t1"), "c4": ("m2", "t1"), "c5": ("m3", "t2"),
          "c6": ("m3", "t2")}  # fmt: skip
MONTHS = ("2025-03", "2025-04", "2025-05", "2025-06", "2025-07")
CALLERS = (Caller("m1", "manager", "t1"), Caller("m2", "manager", "t1"), Caller("m3", "manager", "t2"),
           Caller("s1", "supervisor", "t1"), Caller("s2", "supervisor", "t2"), Caller("admin", "admin"))  # fmt: skip


def _outlets() -> list[Event]:
    events: list[Event] = []
    for cid, (manager, team) in OWNERS.items():
        events.append(CustomerUpserted(
            customer_id=cid, code=cid, short_code=cid, name=f"商户 {cid}", licence_no="1", address="合肥",
            location={"lat": 31.8, "lon": 117.2}, star=3, terminal_type="便利店", credit_grade="A", value_class="B",
            order_type="online", settlement_method="e", area_id="a1", route_id="r1",
        ))  # fmt: skip
        events.append(CustomerAssigned(customer_id=cid, manager_id=manager, team_id=team, effective_from="2020-01-01"))
    return events


def _orders_and_agreed(rng: random.Random) -> list[Event]:
    """Random orders of c1..c5 (c6 orders nothing) over MONTHS, several chunks, and agreed
    quantities for some months (c2's of 2025-07 of 0 cartons: agreed, not absent)."""
    lines = []
    for n in range(40):
        cid = f"c{rng.randint(1, 5)}"
        month = rng.choice(MONTHS)
        lines.append({"order_id": f"o{n}", "line_no": 1, "customer_id": cid, "manager_id": "", "team_id": "",
                      "sku": "S1", "quantity": rng.randint(1, 9), "amount_fen": 1500,
                      "order_date": f"{month}-{rng.randint(1, 28):02d}"})  # fmt: skip
    events: list[Event] = [OrdersRecorded(import_id=f"i{k}", lines=lines[k : k + 8]) for k in range(0, 40, 8)]
    for cid, month, total in (("c1", "2025-07", 10), ("c2", "2025-07", 0), ("c3", "2025-06", 4),
                              ("c5", "2025-08", 6), ("c6", "2025-07", 2)):  # fmt: skip
        manager, team = OWNERS[cid]
        events.append(AgreedQuantitySubmitted(customer_id=cid, month=month, manager_id=manager, team_id=team,
                                              lines=[{"sku": "S1", "qty": total}], total=total,
                                              submitted_at=f"{month}-01T00:00:00Z"))  # fmt: skip
    return events


def _forecast_from_rows(grpc_deps: GrpcDeps, caller: Caller, month: str) -> list[tuple[Any, ...]]:
    """(customer, manager, basis, forecast, agreed) of every customer of the caller's scope, from the rows."""
    scope = scope_for(caller)
    owners = {o.customer_id: o for o in grpc_deps.facts.owned(scope.manager_id, scope.team_id)}
    ids = sorted(owners)
    basis = rules.basis_months(month)
    ordered = {m: grpc_deps.order_views.ordered(ids, [m]) for m in basis}
    agreed = {d["customer_id"]: int(d["total"]) for d in grpc_deps.facts.agreed(ids, [month])}
    out = []
    for cid in ids:
        history = {m: ordered[m].get(cid, 0) for m in basis}
        out.append((cid, owners[cid].manager_id, [history[m] for m in basis], rules.weighted(history, basis),
                    agreed.get(cid)))  # fmt: skip
    return out


def _views(grpc_deps: GrpcDeps) -> dict[str, Callable[[ViewQuery], dict[str, Any]]]:
    return business_views(grpc_deps)


def assert_forecasts_from_rows(grpc_deps: GrpcDeps) -> None:
    """Every scope and forecast month: the listed lines (all pages), the totals and the per-manager
    figures are those of the rows."""
    view = _views(grpc_deps)["GetForecast"]
    for caller in CALLERS:
        for month in ("2025-04", "2025-06", "2025-07", "2025-08", "2025-10"):
            expected = _forecast_from_rows(grpc_deps, caller, month)
            first = view(ViewQuery(caller=caller, month=month, limit=4))
            rest = view(ViewQuery(caller=caller, month=month, limit=4, offset=4))
            listed = [(i["customer_id"], i["manager_id"], i["basis"], i["forecast"], i["agreed"])
                      for i in first["items"] + rest["items"]]  # fmt: skip
            assert listed == expected, (caller, month)
            with_agreed = [e for e in expected if e[4] is not None]
            assert (first["customers"], first["forecast"], first["agreed_customers"], first["agreed"]) == (
                len(expected),
                sum(e[3] for e in expected),
                len(with_agreed),
                sum(e[4] for e in with_agreed),
            ), (caller, month)
            per_manager: dict[str, int] = {}
            for e in expected:
                per_manager[e[1]] = per_manager.get(e[1], 0) + e[3]
            assert {m["manager_id"]: m["forecast"] for m in first["managers"]} == per_manager, (caller, month)


def test_forecast_summaries_equal_the_forecast_from_the_rows(
    grpc_deps: GrpcDeps, apply_shuffled: Callable[..., None]
) -> None:
    apply_shuffled([*_outlets(), *_orders_and_agreed(random.Random(5))], seed=11)
    assert_forecasts_from_rows(grpc_deps)
    # c2 agreed 0 cartons for 2025-07: its line compares with 0 (no percentage), not "no agreed quantity".
    view = _views(grpc_deps)["GetForecast"]
    (c2,) = [i for i in view(ViewQuery(caller=CALLERS[0], month="2025-07"))["items"] if i["customer_id"] == "c2"]
    assert (c2["agreed"], c2["difference"], c2["difference_pct"]) == (0, c2["forecast"], None)


def test_forecast_summaries_follow_a_reassignment_and_a_rebuild_equals_them(
    grpc_deps: GrpcDeps, apply_shuffled: Callable[..., None]
) -> None:
    facts, views = grpc_deps.facts, grpc_deps.order_views
    apply_shuffled([*_outlets(), *_orders_and_agreed(random.Random(8))], seed=4)
    incremental = views.snapshot()
    assert incremental["forecast_summaries"], "the scenario has forecasts"
    order_views.rebuild(facts=facts, views=views)
    assert views.snapshot() == incremental
    # c1 moves to m3 in team t2 (replayed): its forecast lines leave m1's summaries for m3's.
    moved = CustomerAssigned(customer_id="c1", manager_id="m3", team_id="t2", effective_from="2031-01-01")
    for _ in range(2):
        business_facts.apply_events([moved], facts=facts, views=views)
    holders = {d["_id"].rsplit("|", 1)[0] for d in views.snapshot()["forecast_summaries"]
               for line in d["lines"] if line[0] == "c1"}  # fmt: skip
    assert holders == {"m3|t2"}
    assert_forecasts_from_rows(grpc_deps)
    incremental = views.snapshot()
    order_views.rebuild(facts=facts, views=views)
    assert views.snapshot() == incremental
    assert_forecasts_from_rows(grpc_deps)


def test_a_forecast_summed_before_a_newer_one_never_overwrites_it(grpc_deps: GrpcDeps) -> None:
    """Two recomputes summing one forecast at once: the one that counted first writes last and is dropped."""
    views = grpc_deps.order_views
    base = {"_id": "m1|t1|2025-07", "manager_id": "m1", "team_id": "t1", "month": "2025-07",
            "manager_month": "m1|2025-07", "team_month": "t1|2025-07"}  # fmt: skip
    views.write_forecasts([{**base, "seq": 4, "lines": []}])  # c9 moved away: summed at 4
    views.write_forecasts([{**base, "seq": 3, "lines": [["c9", [3, 0, 0], 2, None]]}])  # summed earlier, written later
    assert views.forecast_lines("2025-07") == {}
    views.write_forecasts([{**base, "seq": 5, "lines": [["c9", [3, 0, 0], 2, None]]}])
    assert views.forecast_lines("2025-07", team_id="t1") == {"c9": [[3, 0, 0], 2, None]}


TIERS = {"c1": "A", "c2": "B", "c3": "C", "c4": "D", "c5": "A", "c6": "C"}
TABLE = {"A": (1, 1), "B": (2, 1), "C": (1, 3), "D": (0, 1)}


def _tiered_outlets() -> list[Event]:
    return [dataclasses.replace(e, value_class=TIERS[e.customer_id]) if isinstance(e, CustomerUpserted) else e
            for e in _outlets()]  # fmt: skip


def _visits(rng: random.Random) -> list[Event]:
    """Random visits of c1..c5 (c6 never visited) from April to July 2025: most completed, some
    missed, each completed one replayed as a missed-then-completed pair in any order."""
    events: list[Event] = []
    for n in range(30):
        cid = f"c{rng.randint(1, 5)}"
        day = f"2025-0{rng.randint(4, 7)}-{rng.randint(1, 28):02d}"
        manager, team = OWNERS[cid]
        if n % 5 == 0:
            events.append(VisitMissed(visit_id=f"v{n}", customer_id=cid, manager_id=manager, team_id=team, date=day))
            continue
        events.append(VisitCompleted(
            visit_id=f"v{n}", customer_id=cid, manager_id=manager, team_id=team, date=day, temporary=False,
            method="field", checked_in_at=f"{day}T01:00:00+00:00", completed_at=f"{day}T01:30:00+00:00",
            tasks_total=1, tasks_done=1,
        ))  # fmt: skip
    return events


def _frequency_from_facts(grpc_deps: GrpcDeps, caller: Caller, month: str) -> dict[str, Any]:
    """Totals, per-manager figures and the customers below their frequency, from the facts."""
    scope = scope_for(caller)
    owners = sorted(grpc_deps.facts.owned(scope.manager_id, scope.team_id), key=lambda o: (o.manager_id, o.customer_id))
    cards = {d["_id"]: d for d in grpc_deps.facts.cards([o.customer_id for o in owners], ("name", "value_class"))}
    start, end = freq.period_days(month, 3)
    days = [f"{m}-{d:02d}" for m in months_back(month, 3) for d in range(1, 32)]
    visits: dict[str, list[str]] = {}
    for doc in grpc_deps.facts.completed_visits([d for d in days if start <= d <= end]):
        visits.setdefault(doc["customer_id"], []).append(doc["date"])
    rows = []
    for owner in owners:
        tier = str(cards.get(owner.customer_id, {}).get("value_class", ""))
        required, months = freq.requirement(TABLE, tier)
        if required <= 0:
            continue
        first, _ = freq.period_days(month, months)
        seen = [d for d in visits.get(owner.customer_id, []) if first <= d <= end]
        rows.append((owner.customer_id, owner.manager_id, tier, required, len(seen), max(seen, default=None),
                     cards.get(owner.customer_id, {}).get("name", "")))  # fmt: skip
    below = [r for r in rows if r[4] < r[3]]
    managers: dict[str, list[int]] = {}
    for r in rows:
        tally = managers.setdefault(r[1], [0, 0])
        tally[0], tally[1] = tally[0] + 1, tally[1] + (r[4] < r[3])
    return {"customers": len(rows), "below": len(below), "items": below,
            "managers": [(m, n, b) for m, (n, b) in sorted(managers.items())]}  # fmt: skip


def assert_frequency_from_facts(grpc_deps: GrpcDeps) -> None:
    view = functools.partial(
        visit_frequency.frequency_compliance, facts=grpc_deps.facts, views=grpc_deps.order_views, table=TABLE,
        timezone=grpc_deps.timezone,
    )  # fmt: skip
    for caller in CALLERS:
        for month in ("2025-05", "2025-07", "2025-08"):
            expected = _frequency_from_facts(grpc_deps, caller, month)
            first = view(ViewQuery(caller=caller, month=month, limit=2))
            rest = view(ViewQuery(caller=caller, month=month, limit=50, offset=2))
            listed = [(i["customer_id"], i["manager_id"], i["tier"], i["required"], i["visits"], i["last_visit_date"],
                       i["name"]) for i in first["items"] + rest["items"]]  # fmt: skip
            assert listed == expected["items"], (caller, month)
            assert (first["customers"], first["below"]) == (expected["customers"], expected["below"]), (caller, month)
            managers = [(m["manager_id"], m["customers"], m["below"]) for m in first["managers"]]
            assert managers == expected["managers"], (caller, month)


def test_visit_frequency_from_the_tallies_equals_the_report_from_the_facts(
    grpc_deps: GrpcDeps, apply_shuffled: Callable[..., None]
) -> None:
    apply_shuffled([*_tiered_outlets(), *_visits(random.Random(3))], seed=9)
    assert_frequency_from_facts(grpc_deps)
    # c3 (C, quarterly) becomes A (monthly) in a later card version; c2 moves to m3 in team t2.
    card = next(e for e in _tiered_outlets() if isinstance(e, CustomerUpserted) and e.customer_id == "c3")
    moved = CustomerAssigned(customer_id="c2", manager_id="m3", team_id="t2", effective_from="2031-01-01")
    for _ in range(2):
        business_facts.apply_events([dataclasses.replace(card, value_class="A", version=2), moved],
                                    facts=grpc_deps.facts, views=grpc_deps.order_views)  # fmt: skip
    business_facts.apply_events([card], facts=grpc_deps.facts, views=grpc_deps.order_views)  # the older card, late
    owners, tiers = grpc_deps.order_views.owned_tiers()
    assert (tiers or {}).get("c3") == "A" and ("c2", "m3") in [(o.customer_id, o.manager_id) for o in owners]
    assert_frequency_from_facts(grpc_deps)


def test_a_rebuild_counts_the_same_visit_tallies_and_roster_tiers(
    grpc_deps: GrpcDeps, apply_shuffled: Callable[..., None]
) -> None:
    facts, views = grpc_deps.facts, grpc_deps.order_views
    apply_shuffled([*_tiered_outlets(), *_visits(random.Random(6))], seed=2)
    assert views.visit_tallies is not None

    def tiers() -> tuple[list[Any], dict[str, str] | None]:
        owners, held = views.owned_tiers()
        return sorted(owners, key=lambda o: (o.manager_id, o.customer_id)), held

    incremental = (views.visit_tallies.snapshot(), tiers())
    assert incremental[0]["visit_month_tallies"], "the scenario has completed visits"
    visit_frequency.rebuild_tallies(facts=facts, tallies=views.visit_tallies)
    order_views.rebuild(facts=facts, views=views)
    assert (views.visit_tallies.snapshot(), tiers()) == incremental
    assert_frequency_from_facts(grpc_deps)


def test_a_tally_counted_before_a_newer_one_never_overwrites_it(grpc_deps: GrpcDeps) -> None:
    tallies = grpc_deps.order_views.visit_tallies
    assert tallies is not None
    share = shard_key("2025-06", "c1", SHARDS)
    newer = {"visits": {"c1": [2, "2025-06-09"]}, "days": {"2025-06-02": {"c1": 1}, "2025-06-09": {"c1": 1}}}
    assert tallies.write_months({share: {**newer, "seq": 1}}) == set()
    older = {"visits": {"c1": [1, "2025-06-02"]}, "days": {"2025-06-02": {"c1": 1}}}
    assert tallies.write_months({share: {**older, "seq": 1}}) == {share}  # added to no tally, written later: lost
    assert tallies.of_months(["2025-06", "2025-07"]) == {"2025-06": {"c1": [2, "2025-06-09"]}}
    # A batch that read a day's count before another batch's visit of that day never lowers it.
    visit_frequency.record_completions([("2025-06-09", "v9", "c1")], tallies=tallies)
    assert tallies.of_months(["2025-06"]) == {"2025-06": {"c1": [2, "2025-06-09"]}}  # v9 counted in the 2 above
    visit_frequency.record_completions([("2025-06-10", "v10", "c1"), ("2025-06-09", "v9", "c1")], tallies=tallies)
    assert tallies.of_months(["2025-06"]) == {"2025-06": {"c1": [3, "2025-06-10"]}}


def _scan_batches(rng: random.Random, timezone: str) -> list[ScanBatchAccepted]:
    """Random scan batches of c1..c5 and of an outlet nobody owns (x9) over the last ten days."""
    now = today(timezone)
    batches = []
    for n in range(40):
        cid = rng.choice(["c1", "c2", "c3", "c4", "c5", "x9"])
        day = now - timedelta(days=rng.randint(0, 9))
        noon = f"{day.isoformat()}T12:00:00+08:00"
        kinds = [rng.choice(["sale", "sale", "purchase"]) for _ in range(3)]
        scans = [{"code": f"s{n}-{k}", "sku": f"S{rng.randint(1, 4)}", "kind": kind, "qty": rng.randint(1, 4),
                  "unit_price": rng.choice([10.0, 12.5]), "ts": noon} for k, kind in enumerate(kinds)]  # fmt: skip
        batches.append(ScanBatchAccepted(batch_id=f"b{n}", device_id=f"d-{cid}", customer_id=cid, scans=scans,
                                         received_at=noon))  # fmt: skip
    return batches


def _apply_scans(grpc_deps: GrpcDeps, batches: list[ScanBatchAccepted], seed: int) -> None:
    """Every batch once in a shuffled order, then a replay of a random half, in random worker batches."""
    rng = random.Random(seed)
    stream = [*batches, *rng.sample(batches, len(batches) // 2)]
    rng.shuffle(stream)
    while stream:
        size = rng.randint(1, 6)
        chunk, stream = stream[:size], stream[size:]
        scan_views.apply_scan_batches(chunk, scans=grpc_deps.scans, timezone=grpc_deps.timezone, facts=grpc_deps.facts)


def _scans_from_days(grpc_deps: GrpcDeps, caller: Caller) -> tuple[list[Any], list[Any], list[str]]:
    """Today's and yesterday's outlet figures in scope, and yesterday's silent outlets, from the outlet-days."""
    scope = scope_for(caller)
    outlets = None
    if scope.manager_id or scope.team_id:
        outlets = sorted(o.customer_id for o in grpc_deps.facts.owned(scope.manager_id, scope.team_id))
    now = today(grpc_deps.timezone)
    yesterday = now - timedelta(days=1)

    def rows(first: str, last: str) -> dict[str, list[Any]]:
        grouped: dict[str, list[Any]] = {}
        for doc in grpc_deps.scans.days(outlets, first, last):
            grouped.setdefault(doc["customer_id"], []).append(doc)
        return grouped

    live = [scan_views.outlet_row(cid, docs) for cid, docs in sorted(rows(now.isoformat(), now.isoformat()).items())]
    week = rows((yesterday - timedelta(days=7)).isoformat(), yesterday.isoformat())
    shown = {cid: [d for d in docs if d["date"] == yesterday.isoformat()] for cid, docs in week.items()}
    past = [scan_views.outlet_row(cid, docs) for cid, docs in sorted(shown.items()) if docs]
    return live, past, sorted(cid for cid, docs in shown.items() if not docs)


def assert_scans_from_days(grpc_deps: GrpcDeps) -> None:
    views = _views(grpc_deps)
    for caller in CALLERS:
        live, past, silent = _scans_from_days(grpc_deps, caller)
        first = views["GetScansLive"](ViewQuery(caller=caller, limit=2))
        rest = views["GetScansLive"](ViewQuery(caller=caller, limit=50, offset=2))
        assert (first["items"] + rest["items"], first["total_items"]) == (live, len(live)), caller
        first = views["GetScansYesterday"](ViewQuery(caller=caller, limit=2))
        rest = views["GetScansYesterday"](ViewQuery(caller=caller, limit=50, offset=2))
        assert (first["items"] + rest["items"], first["silent_outlets"]) == (past, silent), caller
        assert (first["sold_qty"], first["bought_qty"]) == (sum(r["sold_qty"] for r in past),
                                                            sum(r["bought_qty"] for r in past)), caller  # fmt: skip


def test_scan_day_summaries_equal_the_views_from_the_outlet_days(grpc_deps: GrpcDeps) -> None:
    business_facts.apply_events(_outlets(), facts=grpc_deps.facts, views=grpc_deps.order_views)
    _apply_scans(grpc_deps, _scan_batches(random.Random(2), grpc_deps.timezone), seed=5)
    assert_scans_from_days(grpc_deps)
    moved = CustomerAssigned(customer_id="c1", manager_id="m3", team_id="t2", effective_from="2031-01-01")
    business_facts.apply_events([moved, moved], facts=grpc_deps.facts, views=grpc_deps.order_views)
    assert_scans_from_days(grpc_deps)
    incremental = grpc_deps.scans.snapshot()
    assert incremental, "the scenario has scans"
    scan_views.rebuild_day_rows(scans=grpc_deps.scans)
    assert grpc_deps.scans.snapshot() == incremental


def test_an_outlet_row_summed_before_a_newer_one_never_overwrites_it(grpc_deps: GrpcDeps) -> None:
    scans = grpc_deps.scans
    newer = {"customer_id": "c.1", "sold_qty": 3}
    scans.write_outlet_rows([("c.1", "2025-06-02", 5, newer), ("c2", "2025-06-02", 1, {"customer_id": "c2"})])
    scans.write_outlet_rows([("c.1", "2025-06-02", 4, {"customer_id": "c.1", "sold_qty": 1})])  # summed earlier
    scans.write_outlet_rows([("c.1", "2025-06-01", 1, {"customer_id": "c.1", "sold_qty": 9})])  # another day
    scans.sum_days(["2025-06-02"])
    assert scans.day_rows("2025-06-02") == {"c.1": newer, "c2": {"customer_id": "c2"}}
    assert scans.scanned(["2025-06-02", "2025-06-03"]) == {"c.1", "c2"}


def test_indicators_give_the_next_periods_forecast_volume_from_the_forecast_summaries(
    grpc_deps: GrpcDeps, apply_shuffled: Callable[..., None]
) -> None:
    """A month report forecasts the next month (the forecast list's per-manager figures); a week
    report the next week: 2025-W27 is June 30 and July 1–6, so 1/30 of June's forecast and 6/31 of
    July's, rounded half up per manager."""
    apply_shuffled([*_outlets(), *_orders_and_agreed(random.Random(5))], seed=11)
    views = _views(grpc_deps)

    def forecasts(caller: Caller, month: str) -> dict[str, int]:
        answer = views["GetForecast"](ViewQuery(caller=caller, month=month))
        return {m["manager_id"]: m["forecast"] for m in answer["managers"]}

    for caller in CALLERS:
        report = views["GetIndicators"](ViewQuery(caller=caller, month="2025-06"))
        july = forecasts(caller, "2025-07")
        assert report["forecast_period"] == "2025-07"
        assert report["managers"], "the scenario has June orders"
        for manager in report["managers"]:
            assert manager["forecast_volume"] == july.get(manager["manager_id"], 0), (caller, manager["manager_id"])
        assert report["totals"]["forecast_volume"] == sum(m["forecast_volume"] for m in report["managers"])
    admin = CALLERS[-1]
    report = views["GetIndicators"](ViewQuery(caller=admin, week="2025-W26"))
    june, july = forecasts(admin, "2025-06"), forecasts(admin, "2025-07")
    assert report["forecast_period"] == "2025-W27"
    for manager in report["managers"]:
        share = Fraction(june.get(manager["manager_id"], 0), 30) + Fraction(6 * july.get(manager["manager_id"], 0), 31)
        assert manager["forecast_volume"] == int(share + Fraction(1, 2)), manager["manager_id"]
    assert [t["forecast_volume"] for t in report["teams"]] == [
        sum(m["forecast_volume"] for m in report["managers"] if m["team_id"] == t["team_id"]) for t in report["teams"]
    ]
