"""Business-view benchmark: p50/p95 of every business view for 30 managers, 3,000 outlets and
three months of orders and collections (`make bench-business`, the local infrastructure running).

    .venv/bin/python loadtests/bench_business_views.py            # build the data set, then time
    .venv/bin/python loadtests/bench_business_views.py --keep     # time the data set built before
    .venv/bin/python loadtests/bench_business_views.py --keep --only terminals/   # only those views

Builds the data set in its own database of the local analytics store (baifang_analytics_bench_business)
through the worker's own use case (usecases/business_facts.py: the facts, then the order views),
timing the build, then calls each view's use case as the gRPC servicer binds it (the store reads, the
assembly and the JSON encoding of the answer) `--samples` times per view with a random caller of
the right role and prints p50/p95/max in ms. The gRPC hop and the gateway are not in the figure
(measured elsewhere: a few ms per call on this machine). Figures only, no assertion.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import orjson

from analytics.bootstrap import build_grpc, business_views
from analytics.domain.indicators import Target, week_of
from analytics.settings import AnalyticsSettings
from analytics.usecases import business_facts, progress, scan_views
from analytics.usecases.orders import ViewQuery
from analytics.usecases.terminal_analysis import TerminalQuery
from baifang_common import stores
from baifang_common.context import Caller
from baifang_common.events import (
    AgreedQuantitySubmitted,
    CustomerAssigned,
    CustomerUpserted,
    Event,
    OrdersRecorded,
    PriceInventorySubmitted,
    ScanBatchAccepted,
    SkuUpserted,
    SupplyAdjustmentApproved,
    TerminalInfoUpdated,
    TerminalResourcesCollected,
    VisitCompleted,
    VisitPlanPublished,
)
from baifang_common.timeutil import today

MANAGERS, OUTLETS, MONTHS, SKUS = 30, 3000, 3, 40
KEY_BRANDS = ("品牌0", "品牌1")
VISITS_PER_DAY = 10
TYPES = ("便利店", "烟酒店", "超市", "餐饮")
AREAS = tuple(f"a{i}" for i in range(8))
FREQUENCY = "GetVisitFrequencyCompliance"


def _months(last: str) -> list[str]:
    year, month = int(last[:4]), int(last[5:7])
    out = []
    for _ in range(MONTHS):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def catalogue(rng: random.Random) -> list[SkuUpserted]:
    return [
        SkuUpserted(sku=f"S{i:02d}", name=f"卷烟{i}", brand=f"品牌{i % 8}", short_code=f"s{i}", price_class=1 + i % 5,
                    ref_pack_price_fen=(p := rng.choice((1000, 1500, 2300, 3500, 5000))), ref_carton_price_fen=p * 10,
                    packs_per_carton=10)
        for i in range(SKUS)
    ]  # fmt: skip


def outlets() -> list[Event]:
    events: list[Event] = []
    for n in range(OUTLETS):
        cid, manager = f"bc{n:05d}", n % MANAGERS
        events.append(
            CustomerUpserted(
                customer_id=cid,
                code=cid,
                short_code=cid,
                name=f"商户{n}",
                licence_no=str(n),
                address="合肥",
                location={"lat": 31.8, "lon": 117.2},
                star=1 + n % 5,
                terminal_type=TYPES[n % 4],
                credit_grade="A",
                value_class="ABCD"[n % 4],
                order_type="online",
                settlement_method="e",
                area_id=AREAS[n % 8],
            )
        )
        events.append(CustomerAssigned(customer_id=cid, manager_id=f"bm{manager:02d}", team_id=f"bt{manager // 10}"))
    return events


def month_events(month: str, skus: list[SkuUpserted], rng: random.Random, last_day: int) -> list[Event]:
    """One month: an agreed quantity and a collection per outlet, four order days, a few approved increases."""
    events: list[Event] = []
    lines: list[dict[str, Any]] = []
    for n in range(OUTLETS):
        cid = f"bc{n:05d}"
        owner = {"manager_id": f"bm{n % MANAGERS:02d}", "team_id": f"bt{(n % MANAGERS) // 10}"}
        picks = rng.sample(skus, 4)
        agreed = [{"sku": s.sku, "qty": rng.randint(2, 10)} for s in picks]
        total = sum(a["qty"] for a in agreed)
        events.append(
            AgreedQuantitySubmitted(
                customer_id=cid, month=month, lines=agreed, total=total, submitted_at=f"{month}-01", **owner
            )
        )
        if n % 10 == 0:
            events.append(SupplyAdjustmentApproved(adjustment_id=f"ba{cid}{month}", customer_id=cid, month=month,
                                                   lines=[{"sku": picks[0].sku, "qty": 2}], reason="节日",
                                                   status="approved", **owner))  # fmt: skip
        for k, day in enumerate(sorted(rng.sample(range(1, last_day + 1), min(4, last_day)))):
            for no, s in enumerate(rng.sample(picks, rng.randint(1, 3))):
                qty = rng.randint(1, 5)
                lines.append({"order_id": f"bo{cid}{month}{k}", "line_no": no, "customer_id": cid, "sku": s.sku,
                              "quantity": qty, "amount_fen": qty * s.ref_carton_price_fen,
                              "order_date": f"{month}-{day:02d}", **owner})  # fmt: skip
        collected = [
            {"sku": s.sku, "name": s.name, "pack_price_fen": s.ref_pack_price_fen + rng.choice((0, 0, 100)),
             "carton_price_fen": s.ref_carton_price_fen, "ref_pack_price_fen": s.ref_pack_price_fen,
             "ref_carton_price_fen": s.ref_carton_price_fen, "prev_stock": 5, "purchased": 3, "stock": 4, "sales": 4,
             "purchased_source": "orders", "first": False}
            for s in picks
        ]  # fmt: skip
        events.append(PriceInventorySubmitted(collection_id=f"bcol{cid}{month}", visit_id=f"bv{cid}{month}",
                                              customer_id=cid, date=f"{month}-{min(15, last_day):02d}",
                                              submitted_at=f"{month}-{min(15, last_day):02d}T08:00:00+00:00",
                                              client_ts="", lines=collected, **owner))  # fmt: skip
    events += [OrdersRecorded(import_id=f"bi{month}{i}", lines=lines[i : i + 500]) for i in range(0, len(lines), 500)]
    return events


def terminal_events(months: list[str], rng: random.Random) -> list[Event]:
    """Each outlet's terminal resources in the first month, improved in the last for half of them, and its
    terminal information (the "三店" tier, designated functions): what the terminal analyses read."""
    bools = ("ledger", "stock_classification", "lightbox", "pos_device", "online_ordering", "e_settlement",
             "smart_terminal")  # fmt: skip
    events: list[Event] = []
    for n in range(OUTLETS):
        cid = f"bc{n:05d}"
        values: dict[str, Any] = {b: rng.random() < 0.6 for b in bools}
        values |= {"display_rails": rng.randint(0, 3), "counter_length": rng.choice((1.0, 1.2, 1.5))}
        versions = [values, {**values, **dict.fromkeys(bools, True)}] if n % 2 else [values]
        for number, (month, v) in enumerate(zip((months[0], months[-1]), versions, strict=False), start=1):
            events.append(TerminalResourcesCollected(customer_id=cid, version=number, values=v, saved_by="bench",
                                                     saved_at=f"{month}-01T02:00:00Z"))  # fmt: skip
        info = {"store_tier": rng.choice(("旗舰店", "加盟店", "形象店", "无")), "association_member": n % 3 == 0,
                "functional_terminal": n % 4 == 0, "collection_point": n % 7 == 0}  # fmt: skip
        events.append(TerminalInfoUpdated(customer_id=cid, version=1, values=info, card_fields={}, saved_by="bench",
                                          saved_at=f"{months[0]}-02T02:00:00Z"))  # fmt: skip
    return events


def build(deps: Any, rng: random.Random) -> None:
    months = _months(today(deps.timezone).isoformat()[:7])
    skus = catalogue(rng)
    events: list[Event] = [*skus, *outlets(), *terminal_events(months, rng)]
    for m in months:
        last_day = today(deps.timezone).day if m == months[-1] else 28
        events += month_events(m, skus, rng, last_day)
    by_type: dict[str, list[Event]] = {}
    for event in events:
        by_type.setdefault(event.event_type, []).append(event)
    start = time.perf_counter()
    for batch_events in by_type.values():
        size = 20 if batch_events[0].event_type == "orders.recorded" else 200
        for i in range(0, len(batch_events), size):
            business_facts.apply_events(batch_events[i : i + size], facts=deps.facts, views=deps.order_views)
    elapsed = time.perf_counter() - start
    lines = sum(len(e.lines) for e in by_type.get("orders.recorded", []))  # type: ignore[attr-defined]
    rate = len(events) / elapsed
    print(f"built: {len(events)} events ({lines} order lines) applied in {elapsed:.1f}s ({rate:.0f} events/s)")


def plan_days(deps: Any, rng: random.Random) -> None:
    """Each manager's planned day (ten visits, most completed) for every day of the three months, and
    their targets for each month and this week: what the indicators read besides the order rows."""
    months = _months(today(deps.timezone).isoformat()[:7])
    events: list[Event] = []
    for m in range(MANAGERS):
        manager, team = f"bm{m:02d}", f"bt{m // 10}"
        for month in months:
            for day in range(1, 29):
                date = f"{month}-{day:02d}"
                visits = [{"visit_id": f"bv{manager}{date}{k}", "customer_id": f"bc{(k * MANAGERS + m):05d}",
                           "order": k, "method": "field", "task_count": 2} for k in range(VISITS_PER_DAY)]  # fmt: skip
                events.append(VisitPlanPublished(manager_id=manager, team_id=team, date=date, planned_tasks=20,
                                                 visits=visits))  # fmt: skip
                events += [
                    VisitCompleted(visit_id=v["visit_id"], customer_id=v["customer_id"], manager_id=manager,
                                   team_id=team, date=date, temporary=False, method="field",
                                   checked_in_at=f"{date}T01:00:00+00:00", completed_at=f"{date}T01:30:00+00:00",
                                   tasks_total=2, tasks_done=2)
                    for v in visits if rng.random() < 0.85
                ]  # fmt: skip
    start = time.perf_counter()
    for i in range(0, len(events), 200):
        progress.apply_events(events[i : i + 200], days=deps.days)
    print(f"built: {len(events)} plan and visit events applied in {time.perf_counter() - start:.1f}s")
    start = time.perf_counter()  # the completed visits as business facts too (visit-frequency compliance)
    done = [e for e in events if isinstance(e, VisitCompleted)]
    for i in range(0, len(done), 200):
        business_facts.apply_events(done[i : i + 200], facts=deps.facts, views=deps.order_views)
    print(f"built: {len(done)} completed visits as business facts in {time.perf_counter() - start:.1f}s")
    periods = [*months, week_of(today(deps.timezone))]
    targets = [
        Target(manager_id=f"bm{m:02d}", period=p, team_id=f"bt{m // 10}", volume=rng.randint(600, 1200),
               key_brands=tuple((b, rng.randint(50, 200)) for b in KEY_BRANDS), value_per_carton_fen=20000,
               plan_execution_pct=90.0)
        for m in range(MANAGERS) for p in periods
    ]  # fmt: skip
    deps.targets.save(targets, "bench", "2026-01-01T00:00:00+00:00")


def scan_days(deps: Any, rng: random.Random) -> None:
    """One scan batch per outlet for yesterday and today (three sales, one purchase): the scan views."""
    now = today(deps.timezone)
    batches = [
        ScanBatchAccepted(batch_id=f"bsb{n:05d}{d}", device_id=f"bd{n:05d}", customer_id=f"bc{n:05d}",
                          received_at=f"{day}T04:00:00+00:00",
                          scans=[{"code": f"bsc{n}{d}{k}", "sku": f"S{rng.randrange(SKUS):02d}",
                                  "kind": "purchase" if k == 3 else "sale", "qty": rng.randint(1, 3),
                                  "unit_price": 25.0, "ts": f"{day}T04:00:00+00:00"} for k in range(4)])
        for n in range(OUTLETS)
        for d, day in enumerate((now.fromordinal(now.toordinal() - 1).isoformat(), now.isoformat()))
    ]  # fmt: skip
    start = time.perf_counter()
    for i in range(0, len(batches), 200):
        scan_views.apply_scan_batches(batches[i : i + 200], scans=deps.scans, timezone=deps.timezone, facts=deps.facts)
    print(f"built: {len(batches)} scan batches in {time.perf_counter() - start:.1f}s")


def time_view(name: str, view: Callable[[ViewQuery], dict[str, Any]], queries: list[ViewQuery]) -> None:
    samples = []
    for query in queries:
        start = time.perf_counter()
        orjson.dumps(view(query))
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    print(f"{name:<44} p50 {statistics.median(samples):6.1f} ms   p95 {p95:6.1f} ms   max {samples[-1]:6.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="time the data set a previous run built")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--only", default="", help="time only the views whose name contains this text")
    args = parser.parse_args()
    os.environ.update(stores.service_urls())
    # Bulk writes of a whole data set on a busy machine: no per-operation socket limit (as the seed).
    os.environ.setdefault("MONGO_SOCKET_TIMEOUT_MS", "0")
    deps = build_grpc(AnalyticsSettings(db_suffix="_bench_business", key_brands=KEY_BRANDS))
    rng = random.Random(20260)
    if not args.keep:
        deps.mongo.drop_database(deps.facts.c["orders"].database.name)
        deps.facts.ensure_indexes()
        deps.order_views.ensure_indexes()
        build(deps, rng)
        plan_days(deps, rng)
        scan_days(deps, rng)
    views = business_views(deps)
    month, day = today(deps.timezone).isoformat()[:7], f"{today(deps.timezone).isoformat()[:7]}-01"
    n = args.samples

    def manager() -> Caller:
        return Caller(f"bm{rng.randrange(MANAGERS):02d}", "manager", "")

    def supervisor() -> Caller:
        return Caller(f"bs{(t := rng.randrange(3))}", "supervisor", f"bt{t}")

    def outlet(caller: Caller) -> str:
        return f"bc{rng.randrange(OUTLETS // MANAGERS) * MANAGERS + int(caller.id[2:]):05d}"

    admin = Caller("admin", "admin")

    def queries(role: Callable[[], Caller], **params: Any) -> list[ViewQuery]:
        return [ViewQuery(caller=role(), **params) for _ in range(n)]

    def window(role: Callable[[], Caller]) -> list[ViewQuery]:
        return [TerminalQuery(caller=role(), days=30) for _ in range(n)]

    def outlet_queries(**params: Any) -> list[ViewQuery]:
        return [ViewQuery(caller=(c := manager()), customer_id=outlet(c), **params) for _ in range(n)]

    cases: list[tuple[str, str, list[ViewQuery]]] = [
        ("orders/daily (manager)", "GetDailyOrders", queries(manager, date=day)),
        ("orders/daily (supervisor, team)", "GetDailyOrders", queries(supervisor, date=day)),
        ("orders/monthly-progress (manager)", "GetMonthlyOrderProgress", queries(manager, month=month)),
        ("orders/monthly-progress (supervisor, team)", "GetMonthlyOrderProgress", queries(supervisor, month=month)),
        ("orders/monthly-progress (admin, all)", "GetMonthlyOrderProgress", queries(lambda: admin, month=month)),
        ("customers/{id}/details (manager)", "GetCustomerDetails", outlet_queries()),
        ("customers/{id}/analysis?months=6 (manager)", "GetCustomerAnalysis", outlet_queries(months=6)),
        ("indicators?period=month (manager)", "GetIndicators", queries(manager, month=month)),
        ("indicators?period=month (supervisor, team)", "GetIndicators", queries(supervisor, month=month)),
        ("indicators?period=month (admin, all)", "GetIndicators", queries(lambda: admin, month=month)),
        ("indicators?period=week (supervisor, team)", "GetIndicators", queries(supervisor, by="week")),
        ("terminals/functional?days=30 (manager)", "GetFunctionalTerminals", window(manager)),
        ("terminals/functional?days=30 (supervisor, team)", "GetFunctionalTerminals", window(supervisor)),
        ("terminals/functional?days=30 (admin, all)", "GetFunctionalTerminals", window(lambda: admin)),
        ("terminals/quality?months=6 (manager)", "GetQualityTerminals", queries(manager, months=6)),
        ("terminals/quality?months=6 (supervisor, team)", "GetQualityTerminals", queries(supervisor, months=6)),
        ("terminals/quality?months=6 (admin, all)", "GetQualityTerminals", queries(lambda: admin, months=6)),
        ("forecast (manager)", "GetForecast", queries(manager)),
        ("forecast (supervisor, team)", "GetForecast", queries(supervisor)),
        ("forecast (admin, all)", "GetForecast", queries(lambda: admin)),
        ("customers/{id}/forecast (manager)", "GetCustomerForecast", outlet_queries()),
        ("visits/frequency-compliance (manager)", FREQUENCY, queries(manager, month=month)),
        ("visits/frequency-compliance (supervisor, team)", FREQUENCY, queries(supervisor, month=month)),
        ("visits/frequency-compliance (admin, all)", FREQUENCY, queries(lambda: admin, month=month)),
        ("scans/live (manager)", "GetScansLive", queries(manager)),
        ("scans/live (supervisor, team)", "GetScansLive", queries(supervisor)),
        ("scans/live (admin, all)", "GetScansLive", queries(lambda: admin)),
        ("scans/yesterday (manager)", "GetScansYesterday", queries(manager)),
        ("scans/yesterday (supervisor, team)", "GetScansYesterday", queries(supervisor)),
        ("scans/yesterday (admin, all)", "GetScansYesterday", queries(lambda: admin)),
        ("stock/live (manager)", "GetStockLive", outlet_queries()),
        ("profit/current (manager)", "GetProfitCurrent", outlet_queries(month=month)),
    ]
    print(f"{MANAGERS} managers, {OUTLETS} outlets, {MONTHS} months; {n} calls per view (use case + store + JSON)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    owners = deps.facts.c["owners"]
    baseline = [ViewQuery(caller=admin, customer_id=f"bc{rng.randrange(OUTLETS):05d}") for _ in range(n)]
    time_view(
        "baseline: one find by _id (store round trip)",
        lambda q: owners.find_one({"_id": q.customer_id}) or {},
        baseline,
    )
    for name, rpc, calls in cases:
        if args.only not in name:
            continue
        time_view(name, views[rpc], calls)
    deps.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
