"""Merchant details (docs/domain.md §1.5.12) and business analysis (§1.5.13) of one customer.

Both are assembled at read time from a handful of indexed reads of the facts and the order views:
the customer's own documents are few (months × a few collections), so nothing more needs
precomputing. Only the owning manager, their supervisor and admins read them (P-004-15).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from analytics.adapters.facts_store import FactsStore
from analytics.adapters.order_views_store import OrderViewsStore
from analytics.domain import business as rules
from analytics.domain.errors import BadPeriod, CustomerUnknown
from analytics.usecases.orders import ViewQuery
from baifang_common.mongo import Document
from baifang_common.timeutil import now_utc, parse_ts, today

CARD = (
    "code", "short_code", "name", "licence_no", "address", "location", "star", "terminal_type", "credit_grade",
    "value_class", "order_type", "settlement_method", "route_id", "area_id", "status", "version",
)  # fmt: skip
RECENT = 5
MAX_MONTHS = 24


def readable(query: ViewQuery, facts: FactsStore) -> tuple[rules.Owner, Document | None]:
    """The customer's owner and card, once the caller is allowed to read them; 404 when unknown."""
    customer_id = query.customer_id
    owner = facts.owner(customer_id)
    card = facts.customer(customer_id)
    if owner is None and card is None:
        raise CustomerUnknown(customer_id=customer_id)
    owner = owner or rules.Owner(customer_id, "", "")
    rules.ensure_can_read(query.caller, owner)
    return owner, card


def _month_figures(doc: Document | None) -> dict[str, Any]:
    doc = doc or {}
    ordered, effective = int(doc.get("ordered", 0)), int(doc.get("effective", 0))
    return {
        "agreed": int(doc.get("agreed", 0)),
        "adjusted": int(doc.get("adjusted", 0)),
        "effective": effective,
        "ordered": ordered,
        "amount_fen": int(doc.get("amount_fen", 0)),
        "remaining": rules.remaining(ordered, effective),
        "progress_pct": rules.progress_pct(ordered, effective),
    }


def customer_details(query: ViewQuery, *, facts: FactsStore, views: OrderViewsStore, timezone: str) -> dict[str, Any]:
    """Card, owner, last visits, latest terminal facts, last collection, this month's orders vs effective."""
    owner, card = readable(query, facts)
    customer_id = query.customer_id
    month = today(timezone).isoformat()[:7]
    month_docs = views.month_of([customer_id], [month])
    collections = facts.collections(customer_id, limit=1)
    return {
        "customer_id": customer_id,
        "card": {name: (card or {}).get(name) for name in CARD} if card else None,
        "manager_id": owner.manager_id,
        "team_id": owner.team_id,
        "recent_visits": [_visit(doc) for doc in facts.recent("visits", customer_id, RECENT)],
        "terminal_info": _terminal(facts.terminal(customer_id, "info")),
        "terminal_resources": _terminal(facts.terminal(customer_id, "resources")),
        "last_collection": _collection(collections[0]) if collections else None,
        "orders_this_month": {"month": month, **_month_figures(month_docs[0] if month_docs else None)},
        "open_supply_adjustments": [
            {
                "adjustment_id": doc["_id"],
                "month": doc["month"],
                "lines": doc.get("lines", []),
                "reason": doc.get("reason", ""),
            }
            for doc in facts.pending_adjustments(customer_id)
        ],
        **_open_items(facts, customer_id),
        "upcoming_appointments": _appointments(facts, customer_id),
        "recent_activities": [
            {"kind": doc["kind"], "at": doc["date"], **doc.get("summary", {})}
            for doc in facts.recent("activities", customer_id, RECENT)
        ],
    }


def _open_items(facts: FactsStore, customer_id: str) -> dict[str, list[dict[str, Any]]]:
    """Open requests (not resolved) and open follow-ups, soonest due first, each with its overdue flag."""
    now = now_utc()
    requests = [_request(doc, now) for doc in facts.open_items("issues", customer_id, rules.ISSUE_CLOSED)]
    follow_ups = [_follow_up(doc, now) for doc in facts.open_items("follow_ups", customer_id, "done")]
    return {
        "open_requests": sorted(requests, key=lambda r: (r["due_at"], r["issue_id"])),
        "open_follow_ups": sorted(follow_ups, key=lambda f: (f["due_at"], f["follow_up_id"])),
    }


def _appointments(facts: FactsStore, customer_id: str) -> list[dict[str, Any]]:
    """Appointments not over yet, soonest first (at most RECENT)."""
    now = now_utc()
    docs = [d for d in facts.appointments(customer_id) if rules.upcoming(d["scheduled_at"], d["duration_min"], now)]
    docs.sort(key=lambda d: (parse_ts(d["scheduled_at"], "scheduled_at", naive_zone=UTC), d["_id"]))
    return [_appointment(doc) for doc in docs[:RECENT]]


def _appointment(doc: Document) -> dict[str, Any]:
    return {
        "appointment_id": doc["_id"], "manager_id": doc.get("manager_id", ""), "scheduled_at": doc["scheduled_at"],
        "duration_min": doc["duration_min"], "purpose": doc.get("purpose", ""),
    }  # fmt: skip


def _request(doc: Document, now: datetime) -> dict[str, Any]:
    due = doc.get("reply_due_at", "")
    return {
        "issue_id": doc["_id"], "kind": doc.get("kind", ""), "status": doc["status"],
        "opened_at": doc.get("opened_at", ""), "due_at": due, "overdue": rules.overdue(due, now),
    }  # fmt: skip


def _follow_up(doc: Document, now: datetime) -> dict[str, Any]:
    due = doc.get("due_at", "")
    return {
        "follow_up_id": doc["_id"], "kind": doc.get("kind", ""), "visit_id": doc.get("visit_id", ""),
        "manager_id": doc.get("manager_id", ""), "due_at": due, "overdue": rules.overdue(due, now),
    }  # fmt: skip


def _visit(doc: Document) -> dict[str, Any]:
    status = (
        "completed"
        if "completion" in doc
        else "missed"
        if doc.get("missed")
        else "checked_in"
        if "checkin" in doc
        else "planned"
    )
    completion = doc.get("completion", {})
    return {
        "visit_id": doc["_id"],
        "date": doc["date"],
        "manager_id": doc.get("manager_id", ""),
        "status": status,
        "checked_in_at": doc.get("checkin", {}).get("at") or None,
        "completed_at": completion.get("at") or None,
        "tasks_done": completion.get("tasks_done"),
        "tasks_total": completion.get("tasks_total"),
        "summary": completion.get("summary") or None,
        "unplanned_tasks": [
            {"text": u.get("text", ""), "client_ts": u.get("client_ts", "")}
            for _, u in sorted((doc.get("unplanned") or {}).items(), key=lambda kv: (kv[1].get("at", ""), kv[0]))
        ],
    }


def _terminal(doc: Document | None) -> dict[str, Any] | None:
    if doc is None:
        return None
    return {
        "version": doc["version"],
        "values": doc.get("values", {}),
        "saved_at": doc.get("saved_at", ""),
        "saved_by": doc.get("saved_by", ""),
    }


def _collection(doc: Document) -> dict[str, Any]:
    return {
        "collection_id": doc.get("collection_id", ""),
        "visit_id": doc["_id"],
        "date": doc["date"],
        "lines": [
            {
                name: line.get(name)
                for name in (
                    "sku",
                    "name",
                    "pack_price_fen",
                    "carton_price_fen",
                    "ref_pack_price_fen",
                    "stock",
                    "sales",
                )
            }
            for line in doc.get("lines", [])
        ],
    }


def customer_analysis(query: ViewQuery, *, facts: FactsStore, views: OrderViewsStore, timezone: str) -> dict[str, Any]:
    """Per month: purchases by brand and price class, value per carton, sales and stock, agreed vs
    ordered, price compliance; and the outlet against similar outlets (median and percentile)."""
    count = query.months or 6
    if not 1 <= count <= MAX_MONTHS:
        raise BadPeriod(months=count)
    _, card = readable(query, facts)
    window = rules.months_back(today(timezone).isoformat()[:7], count)
    skus = facts.skus()
    orders = {doc["month"]: doc for doc in views.month_of([query.customer_id], window)}
    stock = _collections_by_month(facts.collections(query.customer_id, since=f"{window[0]}-01"))
    rows = [
        {"month": m, **_purchases(orders.get(m), skus), **_month_figures(orders.get(m)), **stock.get(m, _no_stock())}
        for m in window
    ]
    return {
        "customer_id": query.customer_id,
        "months": window,
        "rows": rows,
        "similar_outlets": _similar(query.customer_id, card, window, facts, views),
    }


def _purchases(doc: Document | None, skus: dict[str, Document]) -> dict[str, Any]:
    by_brand: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_class: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for sku, qty, amount in (doc or {}).get("by_sku", []):
        info = skus.get(sku, {})
        for bucket in (by_brand[str(info.get("brand", ""))], by_class[int(info.get("price_class", 0))]):
            bucket[0] += qty
            bucket[1] += amount
    cartons, amount = int((doc or {}).get("ordered", 0)), int((doc or {}).get("amount_fen", 0))
    return {
        "purchased_cartons": cartons,
        "value_per_carton_fen": rules.value_per_carton(amount, cartons),
        "by_brand": [{"brand": b, "cartons": q, "amount_fen": a} for b, (q, a) in sorted(by_brand.items())],
        "by_price_class": [{"price_class": c, "cartons": q, "amount_fen": a} for c, (q, a) in sorted(by_class.items())],
    }


def _no_stock() -> dict[str, Any]:
    return {
        "collections": 0,
        "sales": None,
        "stock": None,
        "price_lines": 0,
        "price_compliance_pct": None,
        "avg_price_deviation_pct": None,
    }


def _collections_by_month(docs: Sequence[Document]) -> dict[str, dict[str, Any]]:
    """Sales summed over the month's collections; stock as the month's last collection counted it."""
    per_month: dict[str, list[Document]] = defaultdict(list)
    for doc in docs:
        per_month[doc["date"][:7]].append(doc)
    out: dict[str, dict[str, Any]] = {}
    for month, month_docs in per_month.items():
        month_docs.sort(key=lambda d: (d["date"], d.get("submitted_at", "")))
        lines = [line for d in month_docs for line in d.get("lines", [])]
        priced = [line for line in lines if int(line.get("ref_pack_price_fen", 0)) > 0]
        compliant = sum(
            1 for line in priced if rules.price_compliant(int(line["pack_price_fen"]), int(line["ref_pack_price_fen"]))
        )
        deviations = [
            rules.deviation_pct(int(line["pack_price_fen"]), int(line["ref_pack_price_fen"])) or 0.0 for line in priced
        ]
        out[month] = {
            "collections": len(month_docs),
            "sales": sum(int(line.get("sales", 0)) for line in lines),
            "stock": sum(int(line.get("stock", 0)) for line in month_docs[-1].get("lines", [])),
            "price_lines": len(priced),
            "price_compliance_pct": round(compliant * 100 / len(priced), 1) if priced else None,
            "avg_price_deviation_pct": round(sum(deviations) / len(deviations), 1) if deviations else None,
        }
    return out


def _similar(
    customer_id: str, card: Document | None, window: list[str], facts: FactsStore, views: OrderViewsStore
) -> dict[str, Any]:
    """Cartons bought over the window against outlets of the same terminal type and area."""
    if card is None:
        return {
            "terminal_type": None,
            "area_id": None,
            "outlets": 0,
            "median_cartons": None,
            "cartons": None,
            "percentile": None,
        }
    peers = facts.similar(str(card.get("terminal_type", "")), str(card.get("area_id", "")))
    totals = dict.fromkeys(peers, 0)
    totals.setdefault(customer_id, 0)
    for cartons in views.month_cartons(window).values():  # one document per month, not a row per peer
        for cid in totals:
            totals[cid] += int(cartons.get(cid, 0))
    mine = totals[customer_id]
    return {
        "terminal_type": card.get("terminal_type"),
        "area_id": card.get("area_id"),
        "outlets": len(totals),
        "median_cartons": rules.median(list(totals.values())),
        "cartons": mine,
        "percentile": rules.percentile_rank(mine, totals.values()),
    }
