"""Recomputing the order views of (customer, month) keys from the stored facts (worker and rebuild).

The month document is agreed + approved increases (the effective quantity, R-1.5.9.1-c) against
the ordered cartons, with the orders per date embedded (one document per key, so one guarded
write replaces all of it). The responsible manager is the
customer's current owner (customer.assigned); without one, the manager the facts name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from analytics.adapters.facts_store import FactsStore
from analytics.adapters.order_views_store import OrderViewsStore
from baifang_common.mongo import Document

Key = tuple[str, str]  # (customer_id, month)
CHUNK = 200  # keys recomputed per round of queries


def recompute(keys: Iterable[Key], *, facts: FactsStore, views: OrderViewsStore) -> int:
    """Rewrite the month document of every key from the facts; returns the keys done."""
    todo = sorted(set(keys))
    for start in range(0, len(todo), CHUNK):
        _recompute_chunk(todo[start : start + CHUNK], facts, views)
    return len(todo)


def _recompute_chunk(keys: list[Key], facts: FactsStore, views: OrderViewsStore) -> None:
    seqs = views.seqs_of(keys)  # before the facts: a view never claims a seq its facts did not include
    customers = sorted({c for c, _ in keys})
    months = sorted({m for _, m in keys})
    wanted = set(keys)
    grouped: dict[Key, dict[str, list[Document]]] = defaultdict(lambda: defaultdict(list))
    for kind, docs in (
        ("orders", facts.orders(customers, months)),
        ("agreed", facts.agreed(customers, months)),
        ("approved", facts.approved(customers, months)),
    ):
        for doc in docs:
            key = (doc["customer_id"], doc["month"])
            if key in wanted:
                grouped[key][kind].append(doc)
    owners = facts.owners(customers)
    month_docs: list[Document] = []
    for key in keys:
        found = grouped.get(key, {})
        owner = owners.get(key[0])
        manager_id, team_id = (owner.manager_id, owner.team_id) if owner else _named_owner(found)
        month_docs.append(month_view(key, found, manager_id, team_id, seqs[key]))
    views.replace(month_docs)


def _named_owner(found: dict[str, list[Document]]) -> tuple[str, str]:
    """No customer.assigned yet: the manager of the latest fact that names one."""
    named = [d for docs in found.values() for d in docs if d.get("manager_id")]
    if not named:
        return "", ""
    latest = max(named, key=lambda d: (str(d.get("rank", "")), str(d["_id"])))
    return str(latest["manager_id"]), str(latest.get("team_id", ""))


def month_view(key: Key, found: dict[str, list[Document]], manager_id: str, team_id: str, seq: int = 0) -> Document:
    """The (customer, month) document, its order days embedded, from that key's facts."""
    customer_id, month = key
    agreed = sum(int(doc.get("total", 0)) for doc in found.get("agreed", []))
    adjusted = sum(int(line.get("qty", 0)) for doc in found.get("approved", []) for line in doc.get("lines", []))
    per_day: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for order in found.get("orders", []):
        line = per_day[order["order_date"]][order["sku"]]
        line[0] += int(order["quantity"])
        line[1] += int(order["amount_fen"])
    by_sku: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    days: dict[str, Document] = {}
    for day, lines in sorted(per_day.items()):
        for sku, (qty, amount) in lines.items():
            by_sku[sku][0] += qty
            by_sku[sku][1] += amount
        rows: list[list[Any]] = [[sku, qty, amount] for sku, (qty, amount) in sorted(lines.items())]
        days[day] = {"quantity": sum(r[1] for r in rows), "amount_fen": sum(r[2] for r in rows), "lines": rows}
    return {
        "_id": f"{customer_id}:{month}",
        "customer_id": customer_id,
        "month": month,
        "manager_id": manager_id,
        "team_id": team_id,
        "seq": seq,
        "agreed": agreed,
        "adjusted": adjusted,
        "effective": agreed + adjusted,
        "ordered": sum(d["quantity"] for d in days.values()),
        "amount_fen": sum(d["amount_fen"] for d in days.values()),
        "order_days": len(days),
        "last_order_date": max(days) if days else "",
        "by_sku": [[sku, qty, amount] for sku, (qty, amount) in sorted(by_sku.items())],
        "days": days,
    }


def rebuild(*, facts: FactsStore, views: OrderViewsStore) -> int:
    """Empty the order views and recompute every key the facts know: `make rebuild-analytics`."""
    keys = facts.order_keys()
    views.clear()
    views.index_months(keys)
    return recompute(keys, facts=facts, views=views)
