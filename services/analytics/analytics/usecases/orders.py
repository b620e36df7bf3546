"""Order tracking (docs/domain.md §1.8): daily purchases and monthly progress, per customer and manager.

Both read the precomputed order views; a page of customer rows is cut here (offset, limit) so a
team's month never travels whole. Who may see what is domain/business.scope_for (P-004-15).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from analytics.adapters.facts_store import FactsStore
from analytics.adapters.order_views_store import SUMMED, OrderViewsStore
from analytics.domain import business as rules
from analytics.domain.errors import BadPeriod
from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from baifang_common.mongo import Document
from baifang_common.timeutil import parse_date, today


@dataclass(frozen=True)
class ViewQuery:
    """The parameters every business view takes (each view reads the ones it needs)."""

    caller: Caller
    customer_id: str = ""
    date: str = ""
    month: str = ""
    months: int = 0
    manager_id: str = ""
    team_id: str = ""
    limit: int = 50
    offset: int = 0
    by: str = ""
    week: str = ""  # YYYY-Www (the weekly indicators)
    payload: Any = None  # the decoded JSON body of a write (the evaluation standard's criteria)


def resolve_day(value: str, timezone: str) -> str:
    if not value:
        return today(timezone).isoformat()
    try:
        return parse_date(value).isoformat()
    except InvalidArgument as exc:
        raise BadPeriod(date=value) from exc


def resolve_month(value: str, timezone: str) -> str:
    if not value:
        return today(timezone).isoformat()[:7]
    if not rules.valid_month(value):
        raise BadPeriod(month=value)
    return value


def page_of(rows: Sequence[Any], query: ViewQuery) -> dict[str, Any]:
    limit = max(1, min(query.limit or 50, 500))
    chunk = list(rows[query.offset : query.offset + limit])
    return {"items": chunk, "total_items": len(rows), "offset": query.offset}


def _names(facts: FactsStore, ids: Sequence[str]) -> dict[str, str]:
    return {cid: str(doc.get("name", "")) for cid, doc in facts.customers(ids).items()}


def daily_orders(query: ViewQuery, *, facts: FactsStore, views: OrderViewsStore, timezone: str) -> dict[str, Any]:
    """Which customers ordered on the date (by SKU), per manager, and who has not ordered yet."""
    day = resolve_day(query.date, timezone)
    scope = rules.scope_for(query.caller, query.manager_id, query.team_id)
    rows = day_rows(views.day_orders(day, scope.manager_id, scope.team_id))
    owned = views.owned(scope.manager_id, scope.team_id)  # the owner rosters: a team is 10 documents
    ordered_ids = {row["customer_id"] for row in rows}
    waiting = [o for o in owned if o.customer_id not in ordered_ids]
    page = page_of(rows, query)
    shown = [row["customer_id"] for row in page["items"]]
    listed_waiting = waiting if scope.manager_id else []
    names = _names(facts, [*shown, *(o.customer_id for o in listed_waiting)])
    sku_names = {sku: str(doc.get("name", "")) for sku, doc in facts.skus().items()}
    managers: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"customers": 0, "ordered_customers": 0, "quantity": 0, "amount_fen": 0}
    )
    for o in owned:
        managers[o.manager_id]["customers"] += 1
    for row in rows:
        m = managers[row["manager_id"]]
        m["ordered_customers"] += 1
        m["quantity"] += row["quantity"]
        m["amount_fen"] += row["amount_fen"]
    page["items"] = [_day_item(row, names, sku_names) for row in page["items"]]
    return {
        "date": day,
        "manager_id": scope.manager_id,
        "team_id": scope.team_id,
        "ordered_customers": len(rows),
        "not_ordered_customers": len(waiting),
        "quantity": sum(row["quantity"] for row in rows),
        "amount_fen": sum(row["amount_fen"] for row in rows),
        "managers": [{"manager_id": mid, **figures} for mid, figures in sorted(managers.items())],
        "not_ordered": [
            {"customer_id": o.customer_id, "name": names.get(o.customer_id, "")}
            for o in sorted(listed_waiting, key=lambda o: o.customer_id)
        ],
        **page,
    }


def day_rows(summaries: Sequence[Document]) -> list[Document]:
    """The customers who ordered on the day, by customer, from their managers' month summaries."""
    rows = [
        {"customer_id": cid, "manager_id": s["manager_id"], "team_id": s["team_id"], "quantity": quantity,
         "amount_fen": amount, "lines": lines}
        for s in summaries for cid, quantity, amount, lines in s["orders"]
    ]  # fmt: skip
    return sorted(rows, key=lambda row: str(row["customer_id"]))


def _day_item(row: Document, names: dict[str, str], sku_names: dict[str, str]) -> dict[str, Any]:
    return {
        "customer_id": row["customer_id"],
        "name": names.get(row["customer_id"], ""),
        "manager_id": row["manager_id"],
        "quantity": row["quantity"],
        "amount_fen": row["amount_fen"],
        "lines": [
            {"sku": sku, "name": sku_names.get(sku, ""), "quantity": qty, "amount_fen": amount}
            for sku, qty, amount in row["lines"]
        ],
    }


def _figures(rows: Sequence[Document]) -> dict[str, Any]:
    """Totals of month rows or summaries: agreed, approved increases, effective, ordered, remaining, progress."""
    totals = {name: sum(int(r[name]) for r in rows) for name in SUMMED}
    return {
        **totals,
        "remaining": sum(_remaining(r) for r in rows),
        "progress_pct": rules.progress_pct(totals["ordered"], totals["effective"]),
    }


def _remaining(row: Document) -> int:
    """A summary carries the sum of its customers' remaining; a row is one customer's."""
    return int(row["remaining"]) if "remaining" in row else rules.remaining(int(row["ordered"]), int(row["effective"]))


def monthly_progress(query: ViewQuery, *, facts: FactsStore, views: OrderViewsStore, timezone: str) -> dict[str, Any]:
    """Ordered so far in the month against the effective quantity, per customer, manager and in total.

    The totals and the per-manager figures come from the managers' month summaries; only the page
    of customers shown reads their rows."""
    month = resolve_month(query.month, timezone)
    scope = rules.scope_for(query.caller, query.manager_id, query.team_id)
    summaries = views.month_summaries(month, scope.manager_id, scope.team_id, ["rows"])
    per_manager: dict[str, list[Document]] = defaultdict(list)
    for summary in summaries:
        per_manager[summary["manager_id"]].append(summary)
    page = page_of(sorted(cid for s in summaries for cid, _ in s["rows"]), query)
    rows = views.rows_of(page["items"], month)
    names = _names(facts, [row["customer_id"] for row in rows])
    page["items"] = [
        {
            "customer_id": row["customer_id"],
            "name": names.get(row["customer_id"], ""),
            "manager_id": row["manager_id"],
            **_figures([row]),
            "last_order_date": row["last_order_date"] or None,
        }
        for row in rows
    ]
    return {
        "month": month,
        "manager_id": scope.manager_id,
        "team_id": scope.team_id,
        "customers": page["total_items"],
        **_figures(summaries),
        "managers": [
            {"manager_id": mid, "customers": sum(s["customers"] for s in ms), **_figures(ms)}
            for mid, ms in sorted(per_manager.items())
        ],
        **page,
    }
