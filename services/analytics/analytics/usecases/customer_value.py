"""Customer value class (P-004-7/8/9, P-000-5, P-003-12): recomputed from the order facts, history kept.

The worker recomputes the customers a batch of `orders.recorded` touched (business_facts.py), and
its timer re-judges every customer once a company day (`judge_the_day`), which moves the window on
for customers who stopped ordering and lengthens tenures; `make recompute-customer-values`
(scripts/recompute_customer_values.py) runs the same full recompute by hand.
`GET /customers/{id}/value` reads the stored class; a customer never recomputed is computed on read.
The history is recomputed whole with the class (domain/value.py `history`: the class at every
month's end since the first order, from the order facts alone), so the worker's, the scheduled
run's and a rebuild's (`rebuild`, `make rebuild-analytics`) are the same for the same facts and day.
A batch of customers is judged with a few `_id` reads (OrderViewsStore.order_days: the order views'
totals per order day, so the worker recomputes a customer after its order views) and one bulk write.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from analytics.adapters.facts_store import FactsStore
from analytics.adapters.order_views_store import OrderViewsStore
from analytics.adapters.value_store import ValueStore
from analytics.domain.value import ValuePolicy, classify, figures, history
from analytics.usecases.customer_views import readable
from analytics.usecases.orders import ViewQuery
from baifang_common.timeutil import today

CHUNK = 1000  # customers judged per round of reads and bulk write


@dataclass(frozen=True)
class ValueBook:
    """What a recompute needs besides the facts: the store, the thresholds, the company's time zone and
    the order views (the purchases per order day are read from them)."""

    store: ValueStore
    policy: ValuePolicy
    timezone: str
    views: OrderViewsStore


def _judge(
    order_days: list[dict[str, Any]], policy: ValuePolicy, on: date
) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """The class on `on`, its figures and the history of classes up to it."""
    values = figures(order_days, on, policy)
    return classify(values, policy), values, history(order_days, on, policy)


def _days(customer_id: str, days: dict[str, list[dict[str, Any]] | None], facts: FactsStore) -> list[dict[str, Any]]:
    """The customer's order days from the views, or its order lines while a month of it is being recomputed."""
    found = days.get(customer_id, [])
    return facts.customer_orders(customer_id) if found is None else found


def recompute(customer_ids: Iterable[str], *, facts: FactsStore, book: ValueBook, on: date | None = None) -> int:
    """Re-judge the customers from their purchases (today, company time, unless `on` says), CHUNK at a time."""
    day = on or today(book.timezone)
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        held, days = book.store.get_many(chunk), book.views.order_days(chunk)
        judged = [(held.get(cid), cid, *_judge(_days(cid, days, facts), book.policy, day), day.isoformat())
                  for cid in chunk]  # fmt: skip
        book.store.save_many(judged)
    return len(ids)


def recompute_all(*, facts: FactsStore, book: ValueBook, on: date | None = None) -> int:
    """The scheduled run: every customer analytics knows (card, owner or order)."""
    return recompute(facts.customer_ids(), facts=facts, book=book, on=on)


def judge_the_day(*, facts: FactsStore, book: ValueBook, on: date | None = None) -> int:
    """The scheduled run (P-004-9), from the worker's timer: the first tick of each company day judges
    every customer again, later ticks find the day done (one read) and return 0. A run cut short is
    done again whole on the next tick; replicas ticking at once judge twice, to the same result."""
    day = on or today(book.timezone)
    if book.store.everyone_judged_on() >= day.isoformat():
        return 0
    count = recompute_all(facts=facts, book=book, on=day)
    book.store.note_everyone_judged(day.isoformat())
    return count


def rebuild(*, facts: FactsStore, book: ValueBook, on: date | None = None) -> int:
    """Forget every stored class and judge every customer again from the facts (`make rebuild-analytics`)."""
    book.store.clear()
    return recompute_all(facts=facts, book=book, on=on)


def customer_value(query: ViewQuery, *, facts: FactsStore, book: ValueBook) -> dict[str, Any]:
    """The current class, the figures behind it, the thresholds and the history of classes."""
    readable(query, facts)
    doc = book.store.get(query.customer_id)
    if doc is None:
        day = today(book.timezone).isoformat()
        days = _days(query.customer_id, book.views.order_days([query.customer_id]), facts)
        value_class, values, classes = _judge(days, book.policy, today(book.timezone))
        doc = {"value_class": value_class, "figures": values, "computed_on": day, "history": classes}
    return {
        "customer_id": query.customer_id,
        "value_class": doc["value_class"],
        "computed_on": doc["computed_on"],
        "figures": doc["figures"],
        "thresholds": book.policy.as_dict(),
        "history": doc.get("history", []),
    }
