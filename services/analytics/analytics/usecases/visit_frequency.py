"""Visit-frequency compliance report (P-004-1): per manager, the customers visited below their tier's frequency.

Read at request time from the owners, the cards and the completed-visit facts (`biz_visits`) of the
longest period the table asks for: one indexed query per day of it. Scope as the order lists
(P-004-15): a manager their own customers, a supervisor their team, an admin any.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from analytics.adapters.facts_store import FactsStore
from analytics.domain import business as rules
from analytics.domain import visit_frequency as freq
from analytics.usecases.orders import ViewQuery, page_of, resolve_month


def frequency_compliance(
    query: ViewQuery, *, facts: FactsStore, table: Mapping[str, Sequence[int]], timezone: str
) -> dict[str, Any]:
    """Customers with a frequency, those below it (paged), and the compliance per manager and in total."""
    month = resolve_month(query.month, timezone)
    scope = rules.scope_for(query.caller, query.manager_id, query.team_id)
    owners = sorted(facts.owned(scope.manager_id, scope.team_id), key=lambda o: (o.manager_id, o.customer_id))
    cards = {doc["_id"]: doc for doc in facts.cards([o.customer_id for o in owners], ("name", "value_class"))}
    longest = max((freq.requirement(table, tier)[1] for tier in table), default=1)
    visits = _visit_days(facts, *freq.period_days(month, longest))
    rows = []
    for owner in owners:
        card = cards.get(owner.customer_id, {})
        required, months = freq.requirement(table, str(card.get("value_class", "")))
        if required <= 0:
            continue
        start, end = freq.period_days(month, months)
        days = [day for day in visits.get(owner.customer_id, []) if start <= day <= end]
        rows.append({
            "customer_id": owner.customer_id, "name": card.get("name", ""), "manager_id": owner.manager_id,
            "tier": card.get("value_class", ""), "required": required, "period_months": months,
            "period_start": start, "visits": len(days), "last_visit_date": max(days, default=None),
        })  # fmt: skip
    return {"month": month, "manager_id": scope.manager_id, "team_id": scope.team_id,
            "frequency": {tier: list(freq.requirement(table, tier)) for tier in sorted(table)},
            **_tally(rows), "managers": _per_manager(rows), **page_of(_below(rows), query)}  # fmt: skip


def _below(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row for row in rows if row["visits"] < row["required"]]


def _tally(rows: list[dict[str, Any]]) -> dict[str, Any]:
    below = len(_below(rows))
    return {"customers": len(rows), "below": below, "compliance_pct": freq.compliance_pct(len(rows), below)}


def _per_manager(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    per: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        per[row["manager_id"]].append(row)
    return [{"manager_id": manager_id, **_tally(mrows)} for manager_id, mrows in sorted(per.items())]


def _visit_days(facts: FactsStore, start: str, end: str) -> dict[str, list[str]]:
    """Per customer, the dates of its completed visits between start and end (one entry per visit)."""
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    days = [(first + timedelta(n)).isoformat() for n in range((last - first).days + 1)]
    out: dict[str, list[str]] = defaultdict(list)
    for doc in facts.completed_visits(days):
        out[doc["customer_id"]].append(doc["date"])
    return out
