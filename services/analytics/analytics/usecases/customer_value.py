"""Customer value class (P-004-7/8/9, P-000-5, P-003-12): recomputed from the order facts, history kept.

The worker recomputes the customers a batch of `orders.recorded` touched (business_facts.py); the
scheduled full recompute (`make recompute-customer-values`, scripts/recompute_customer_values.py)
re-judges every customer, which also moves the window on for customers who stopped ordering.
`GET /customers/{id}/value` reads the stored class; a customer never recomputed is computed on read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from analytics.adapters.facts_store import FactsStore
from analytics.adapters.value_store import ValueStore
from analytics.domain.value import ValuePolicy, classify, figures
from analytics.usecases.customer_views import readable
from analytics.usecases.orders import ViewQuery
from baifang_common.timeutil import today


@dataclass(frozen=True)
class ValueBook:
    """What a recompute needs besides the facts: the store, the thresholds and the company's time zone."""

    store: ValueStore
    policy: ValuePolicy
    timezone: str


def _judge(customer_id: str, facts: FactsStore, policy: ValuePolicy, on: date) -> tuple[str, dict[str, Any]]:
    values = figures(facts.customer_orders(customer_id), on, policy)
    return classify(values, policy), values


def recompute(customer_ids: Iterable[str], *, facts: FactsStore, book: ValueBook, on: date | None = None) -> int:
    """Re-judge the customers from their order facts (today, company time, unless `on` says)."""
    day = on or today(book.timezone)
    ids = sorted(set(customer_ids))
    held = book.store.get_many(ids)
    for customer_id in ids:
        value_class, values = _judge(customer_id, facts, book.policy, day)
        book.store.save(held.get(customer_id), customer_id, value_class, values, day.isoformat())
    return len(ids)


def recompute_all(*, facts: FactsStore, book: ValueBook, on: date | None = None) -> int:
    """The scheduled run: every customer analytics knows (card, owner or order)."""
    return recompute(facts.customer_ids(), facts=facts, book=book, on=on)


def customer_value(query: ViewQuery, *, facts: FactsStore, book: ValueBook) -> dict[str, Any]:
    """The current class, the figures behind it, the thresholds and the history of classes."""
    readable(query, facts)
    doc = book.store.get(query.customer_id)
    if doc is None:
        day = today(book.timezone).isoformat()
        value_class, values = _judge(query.customer_id, facts, book.policy, today(book.timezone))
        doc = {"value_class": value_class, "figures": values, "computed_on": day, "history": []}
    return {
        "customer_id": query.customer_id,
        "value_class": doc["value_class"],
        "computed_on": doc["computed_on"],
        "figures": doc["figures"],
        "thresholds": book.policy.as_dict(),
        "history": doc.get("history", []),
    }
