"""Retail-scan views (docs/domain.md §1.9): scan live, yesterday's tracking, real-time stock, current profit.

The worker folds each `scan.batch_accepted` into per-outlet-day figures (adapters/scan_store.py);
the views of one outlet sum them at read time (an outlet-day is a handful of batches). For the
group views (a manager's, a team's or every outlet) the worker also keeps each outlet-day's
figures summed and one summary per day holding them all (`refresh_day_rows`): scans live reads
one document, yesterday's tracking eight, whatever the scope, filtered by the owner rosters.
Who sees which outlets is domain/business (P-004-15).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, timedelta
from typing import Any

from analytics.adapters.facts_store import Fact, FactsStore
from analytics.adapters.order_views_store import OrderViewsStore
from analytics.adapters.scan_store import Row, ScanStore
from analytics.domain import business as rules
from analytics.usecases import terminal_views
from analytics.usecases.customer_views import readable
from analytics.usecases.orders import ViewQuery, resolve_month
from baifang_common.events import ScanBatchAccepted
from baifang_common.mongo import Document
from baifang_common.timeutil import local_date, parse_ts, today

SOLD, BOUGHT = "sale", "purchase"
TOP = 3
SILENT_DAYS = 7
ROWS_CHUNK = 500  # outlet-days summed per round of reads


def apply_scan_batches(
    events: Sequence[ScanBatchAccepted], *, scans: ScanStore, timezone: str, facts: FactsStore | None = None
) -> None:
    """Each batch's scans summed per outlet-day and SKU, one `$set` per outlet-day and batch; with
    `facts`, each outlet's latest scan date too (the functional terminal analysis, §1.6.4, and its
    summaries: usecases/terminal_views.py)."""
    writes: list[tuple[str, str, str, list[Row]]] = []
    for event in events:
        if not event.customer_id or not event.batch_id:
            raise ValueError("scan batch without customer_id or batch_id")
        per_day: dict[str, dict[str, Row]] = defaultdict(dict)
        for scan in event.scans:
            day = local_date(parse_ts(str(scan["ts"]), "ts", naive_zone=UTC), timezone).isoformat()
            row = per_day[day].setdefault(str(scan["sku"]), [str(scan["sku"]), 0, 0.0, 0, 0.0, ""])
            qty, amount = int(scan["qty"]), round(int(scan["qty"]) * float(scan["unit_price"]), 2)
            offset = 1 if scan["kind"] == SOLD else 3
            row[offset] += qty
            row[offset + 1] = round(row[offset + 1] + amount, 2)
            row[5] = max(row[5], str(scan["ts"]))
        writes += [(event.customer_id, day, event.batch_id, sorted(rows.values())) for day, rows in per_day.items()]
    scans.apply(writes)
    refresh_day_rows({(customer_id, day) for customer_id, day, _, _ in writes}, scans=scans)
    if facts is not None:
        facts.write([Fact("last_activity", customer_id, {"scanned": day}, "max") for customer_id, day, _, _ in writes])
        terminal_views.refresh_scanned([(w[0], w[1]) for w in writes], book=terminal_views.book_of(facts))


def refresh_day_rows(keys: Iterable[tuple[str, str]], *, scans: ScanStore) -> int:
    """Sum each (customer_id, date) written again into its day's rows, then those days' summaries
    (each under a change count taken after the write: the later reader's figures are kept)."""
    todo = sorted(set(keys))
    for start in range(0, len(todo), ROWS_CHUNK):
        read = scans.outlet_days(todo[start : start + ROWS_CHUNK])
        scans.write_outlet_rows([(c, day, seq, outlet_row(c, [doc])) for (c, day), (doc, seq) in read.items() if doc])
    scans.sum_days({day for _, day in todo})
    return len(todo)


def rebuild_day_rows(*, scans: ScanStore) -> int:
    """Empty the per-day rows and summaries and sum every stored outlet-day again: `make rebuild-analytics`."""
    scans.clear_summaries()
    return refresh_day_rows(scans.keys(), scans=scans)


def backfill_last_scans(*, scans: ScanStore, facts: FactsStore) -> int:
    """Each outlet's latest scan date from the stored scan days (the rebuild)."""
    latest = scans.last_days()
    facts.write([Fact("last_activity", customer_id, {"scanned": day}, "max") for customer_id, day in latest.items()])
    return len(latest)


def _sum(docs: Iterable[Document]) -> dict[str, list[Any]]:
    """Per SKU over the documents' batches: [sold_qty, sold_amount, bought_qty, bought_amount, last_ts]."""
    total: dict[str, list[Any]] = defaultdict(lambda: [0, 0.0, 0, 0.0, ""])
    for doc in docs:
        for rows in doc.get("batches", {}).values():
            for sku, sq, sa, bq, ba, ts in rows:
                t = total[sku]
                t[0], t[1], t[2], t[3], t[4] = (
                    t[0] + sq,
                    round(t[1] + sa, 2),
                    t[2] + bq,
                    round(t[3] + ba, 2),
                    max(t[4], ts),
                )
    return total


def _sku_rows(total: dict[str, list[Any]]) -> list[dict[str, Any]]:
    return [
        {
            "sku": sku,
            "sold_qty": t[0],
            "sold_amount": t[1],
            "bought_qty": t[2],
            "bought_amount": t[3],
            "last_scan_at": t[4],
        }
        for sku, t in sorted(total.items())
    ]


def _outlets(query: ViewQuery, views: OrderViewsStore) -> set[str] | None:
    """The outlets in the caller's scope, from the owner rosters (None: an admin without filters,
    every outlet, owned or not)."""
    scope = rules.scope_for(query.caller, query.manager_id, query.team_id)
    if not scope.manager_id and not scope.team_id:
        return None
    return {o.customer_id for o in views.owned(scope.manager_id, scope.team_id)}


def outlet_row(customer_id: str, docs: list[Document]) -> dict[str, Any]:
    """One outlet's figures over its outlet-day documents: totals, top SKUs sold, last scan."""
    total = _sum(docs)
    top = sorted(total.items(), key=lambda item: (-item[1][0], item[0]))[:TOP]
    return {
        "customer_id": customer_id,
        "sold_qty": sum(t[0] for t in total.values()),
        "sold_amount": round(sum(t[1] for t in total.values()), 2),
        "bought_qty": sum(t[2] for t in total.values()),
        "bought_amount": round(sum(t[3] for t in total.values()), 2),
        "top_skus": [{"sku": sku, "sold_qty": t[0]} for sku, t in top if t[0] > 0],
        "last_scan_at": max((t[4] for t in total.values()), default="") or None,
    }


def scans_live(
    query: ViewQuery, *, facts: FactsStore, views: OrderViewsStore, scans: ScanStore, timezone: str
) -> dict[str, Any]:
    """Today's scans: one outlet by SKU (`customer_id`), else every outlet of the caller's scope."""
    day = today(timezone).isoformat()
    if query.customer_id:
        readable(query, facts)
        docs = scans.days([query.customer_id], day, day)
        return {"date": day, "customer_id": query.customer_id, "items": _sku_rows(_sum(docs))}
    wanted = _outlets(query, views)
    summed = scans.day_rows(day)
    rows = [summed[cid] for cid in sorted(summed) if wanted is None or cid in wanted]
    return {"date": day, "customer_id": None, "items": rows[query.offset : query.offset + (query.limit or 50)],
            "total_items": len(rows), "offset": query.offset}  # fmt: skip


def scans_yesterday(query: ViewQuery, *, views: OrderViewsStore, scans: ScanStore, timezone: str) -> dict[str, Any]:
    """Yesterday per outlet (sales, purchases, top SKUs), and the outlets that scanned in the week
    before but not yesterday (a scanner gone silent)."""
    day = today(timezone) - timedelta(days=1)
    wanted = _outlets(query, views)
    summed = {cid: row for cid, row in scans.day_rows(day.isoformat()).items() if wanted is None or cid in wanted}
    week = scans.scanned([(day - timedelta(days=n)).isoformat() for n in range(1, SILENT_DAYS + 1)])
    silent = sorted(cid for cid in week if (wanted is None or cid in wanted) and cid not in summed)
    rows = [summed[cid] for cid in sorted(summed)]
    return {
        "date": day.isoformat(),
        "sold_qty": sum(r["sold_qty"] for r in rows),
        "sold_amount": round(sum(r["sold_amount"] for r in rows), 2),
        "bought_qty": sum(r["bought_qty"] for r in rows),
        "silent_outlets": silent,
        "items": rows[query.offset : query.offset + (query.limit or 50)],
        "total_items": len(rows),
        "offset": query.offset,
    }


def stock_live(query: ViewQuery, *, facts: FactsStore, scans: ScanStore, timezone: str) -> dict[str, Any]:
    """Per SKU: the last stock count (price & stock collection) + scanned purchases − scanned sales
    of the days after it; without a count, from 0."""
    readable(query, facts)
    collections = facts.collections(query.customer_id, limit=1)
    counted = (
        {line["sku"]: int(line.get("stock", 0)) for line in collections[0].get("lines", [])} if collections else {}
    )
    since = collections[0]["date"] if collections else ""
    first = (date.fromisoformat(since) + timedelta(days=1)).isoformat() if since else "0000-01-01"
    moved = _sum(scans.days([query.customer_id], first, today(timezone).isoformat()))
    rows = [
        {"sku": sku, "counted": counted.get(sku, 0), "bought_qty": moved.get(sku, [0, 0, 0])[2],
         "sold_qty": moved.get(sku, [0])[0],
         "stock": counted.get(sku, 0) + moved.get(sku, [0, 0, 0])[2] - moved.get(sku, [0])[0]}
        for sku in sorted(set(counted) | set(moved))
    ]  # fmt: skip
    return {"customer_id": query.customer_id, "counted_on": since or None, "items": rows}


def profit_current(query: ViewQuery, *, facts: FactsStore, scans: ScanStore, timezone: str) -> dict[str, Any]:
    """The month's scanned sales × (retail − purchase price), by SKU; the purchase price is the
    month's average scanned purchase price of the SKU (no purchase scanned: no profit figure)."""
    readable(query, facts)
    month = resolve_month(query.month, timezone)
    total = _sum(scans.days([query.customer_id], f"{month}-01", f"{month}-31"))
    rows = []
    for sku, (sq, sa, bq, ba, _) in sorted(total.items()):
        cost = round(sq * ba / bq, 2) if bq else None
        rows.append({"sku": sku, "sold_qty": sq, "revenue": sa, "avg_purchase_price": round(ba / bq, 4) if bq else None,
                     "cost": cost, "profit": round(sa - cost, 2) if cost is not None else None})  # fmt: skip
    priced = [r for r in rows if r["profit"] is not None]
    return {
        "customer_id": query.customer_id,
        "month": month,
        "revenue": round(sum(r["revenue"] for r in rows), 2),
        "profit": round(sum(r["profit"] for r in priced), 2) if priced else None,
        "items": rows,
    }
