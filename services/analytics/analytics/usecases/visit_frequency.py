"""Visit-frequency compliance report (P-004-1): per manager, the customers visited below their tier's frequency.

Read from precomputed documents the worker keeps: the owner rosters with each customer's tier
(adapters/order_views_store.py: a team is 10 documents) and the completed visits per customer and
month (adapters/visit_tally_store.py: a few dozen shares of the customers per month of the longest
period the table asks for), summed here per customer over its tier's period; only the page of customers below their
frequency reads their cards' names. Scope as the order lists (P-004-15): a manager their own
customers, a supervisor their team, an admin any.

The tallies hold the visits a visit.completed named, under the date it states (the visit facts'
date: a visit's events never move it), and the rebuild adds every visit fact holding a
completion (`biz_visits`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from analytics.adapters.facts_store import FactsStore
from analytics.adapters.order_views_store import OrderViewsStore
from analytics.adapters.visit_tally_store import VisitTallyStore
from analytics.domain import business as rules
from analytics.domain import visit_frequency as freq
from analytics.domain.business import Owner
from analytics.usecases.orders import ViewQuery, page_of, resolve_month

ATTEMPTS = 20  # writes of a month tally that lose to another batch before the batch is tried again


def frequency_compliance(
    query: ViewQuery,
    *,
    facts: FactsStore,
    views: OrderViewsStore,
    table: Mapping[str, Sequence[int]],
    timezone: str,
) -> dict[str, Any]:
    """Customers with a frequency, those below it (paged), and the compliance per manager and in total."""
    month = resolve_month(query.month, timezone)
    scope = rules.scope_for(query.caller, query.manager_id, query.team_id)
    owned, tiers = views.owned_tiers(scope.manager_id, scope.team_id)
    owners = sorted(owned, key=lambda o: (o.manager_id, o.customer_id))
    if tiers is None:  # rosters written before they carried tiers (until `make rebuild-analytics`)
        cards = facts.cards([o.customer_id for o in owners], ("value_class",))
        tiers = {doc["_id"]: str(doc.get("value_class", "")) for doc in cards}
    longest = max((freq.requirement(table, tier)[1] for tier in table), default=1)
    rows = _rows(owners, tiers, _tallies(views, rules.months_back(month, longest)), table, month)
    page = page_of(_below(rows), query)
    names = {
        cid: str(doc.get("name", "")) for cid, doc in facts.customers(r["customer_id"] for r in page["items"]).items()
    }
    page["items"] = [{**row, "name": names.get(row["customer_id"], "")} for row in page["items"]]
    return {"month": month, "manager_id": scope.manager_id, "team_id": scope.team_id,
            "frequency": {tier: list(freq.requirement(table, tier)) for tier in sorted(table)},
            **_tally(rows), "managers": _per_manager(rows), **page}  # fmt: skip


def _rows(
    owners: Sequence[Owner],
    tiers: Mapping[str, str],
    tallies: Mapping[str, Mapping[str, list[Any]]],
    table: Mapping[str, Sequence[int]],
    month: str,
) -> list[dict[str, Any]]:
    """Each owned customer whose tier asks for visits: its completed visits over its tier's period."""
    rows = []
    for owner in owners:
        tier = tiers.get(owner.customer_id, "")
        required, months = freq.requirement(table, tier)
        if required <= 0:
            continue
        held = [tallies[m][owner.customer_id] for m in rules.months_back(month, months)
                if owner.customer_id in tallies.get(m, {})]  # fmt: skip
        rows.append({
            "customer_id": owner.customer_id, "manager_id": owner.manager_id, "tier": tier, "required": required,
            "period_months": months, "period_start": freq.period_days(month, months)[0],
            "visits": sum(int(n) for n, _ in held), "last_visit_date": max((str(d) for _, d in held), default=None),
        })  # fmt: skip
    return rows


def _tallies(views: OrderViewsStore, months: Sequence[str]) -> dict[str, dict[str, list[Any]]]:
    if views.visit_tallies is None:
        return {}
    return views.visit_tallies.of_months(months)


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


def record_completions(visits: Iterable[tuple[str, str, str]], *, tallies: VisitTallyStore) -> int:
    """Add completed visits (date, visit_id, customer_id) to their days, read those days back and
    raise each month share's counts of them to what was read (adapters/visit_tally_store.py): a
    batch costs the days it touched, not the month. A share written before it kept its days is
    summed from all its days. Returns the month shares touched."""
    counts = tallies.day_counts(tallies.mark_done(visits))
    todo = sorted(counts)
    for _ in range(ATTEMPTS):
        if not todo:
            return len(counts)
        stored = tallies.months_to_sum(todo)
        if older := [share for share in todo if share in stored and stored[share]["days"] is None]:
            counts |= tallies.days_of(older)
        added = {share: doc for share in todo if (doc := _added(stored.get(share), counts[share])) is not None}
        todo = sorted(tallies.write_months(added))
    raise RuntimeError(f"visit tallies {todo} changed under {ATTEMPTS} batches in a row")


def _added(stored: Mapping[str, Any] | None, days: Mapping[str, Mapping[str, int]]) -> dict[str, Any] | None:
    """The month tally with each (date, customer) count raised to the one read (None: none was lower)."""
    base = stored if stored is not None and stored["days"] is not None else None  # else: summed from all days
    held: dict[str, dict[str, int]] = {d: dict(c) for d, c in base["days"].items()} if base else {}
    visits: dict[str, list[Any]] = {c: list(v) for c, v in base["visits"].items()} if base else {}
    changed = base is None
    for day, customers in days.items():
        into = held.setdefault(day, {})
        for customer_id, count in customers.items():
            if count > (before := into.get(customer_id, 0)):
                into[customer_id], changed = count, True
                tally = visits.setdefault(customer_id, [0, ""])
                tally[0], tally[1] = tally[0] + count - before, max(tally[1], day)
    if not changed:
        return None
    return {"visits": visits, "days": dict(sorted(held.items())), "seq": int((stored or {}).get("seq", 0)) + 1}


def rebuild_tallies(*, facts: FactsStore, tallies: VisitTallyStore) -> int:
    """Empty the tallies and add every completed visit fact again: `make rebuild-analytics`."""
    tallies.clear()
    done = [(str(doc["date"]), str(doc["_id"]), str(doc["customer_id"]))
            for doc in facts.completed_visits(sorted(facts.visit_dates()))]  # fmt: skip
    return record_completions(done, tallies=tallies)
