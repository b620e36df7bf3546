"""The sales forecast (销售预测, P-002-8, P-003-10): next month's cartons per customer, per manager and in
total, against the agreed quantity where one was submitted (domain/forecast.py has the method).

The list reads the owner rosters of the scope and the forecast summaries the worker keeps per
manager, team and forecast month (usecases/order_views.refresh_forecasts: a team is 10 documents,
not four months of 1,000 customers' rows); a customer of the roster without a line there ordered
nothing in the basis months and has no agreed quantity. One customer's forecast reads its lean
order rows of the three basis months and the agreed quantity of the forecast month. The forecast
follows the customer: its rows are filed under its current owner (usecases/order_views.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from analytics.adapters.facts_store import FactsStore
from analytics.adapters.order_views_store import OrderViewsStore
from analytics.domain import forecast as rules
from analytics.domain.business import Owner, scope_for
from analytics.usecases.customer_views import readable
from analytics.usecases.orders import ViewQuery, page_of, resolve_month
from baifang_common.timeutil import today

METHOD = "weighted moving average of the cartons ordered in the 3 whole months before, weights 3:2:1, no seasonality"


def _target(query: ViewQuery, timezone: str) -> str:
    """The month asked for; absent: the month after the current one."""
    if query.month:
        return resolve_month(query.month, timezone)
    this = today(timezone)
    return f"{this.year + this.month // 12:04d}-{this.month % 12 + 1:02d}"


def _figures(
    ids: Sequence[str], month: str, facts: FactsStore, views: OrderViewsStore
) -> tuple[list[str], dict[str, dict[str, int]], dict[str, int]]:
    """The basis months, each customer's cartons per basis month, and the agreed quantities of `month`."""
    basis = rules.basis_months(month)
    ordered = {m: views.ordered(ids, [m]) for m in basis}
    per_customer = {cid: {m: ordered[m].get(cid, 0) for m in basis} for cid in ids}
    agreed = {doc["customer_id"]: int(doc.get("total", 0)) for doc in facts.agreed(ids, [month])}
    return basis, per_customer, agreed


def _line(cid: str, basis: list[int], value: int, agreed: int | None) -> dict[str, Any]:
    """A customer's line: cartons per basis month (most recent first), forecast, agreed and difference."""
    return {
        "customer_id": cid, "basis": basis, "forecast": value, "agreed": agreed,
        "difference": None if agreed is None else value - agreed, "difference_pct": rules.difference_pct(value, agreed),
    }  # fmt: skip


def _totals(lines: Sequence[dict[str, Any]]) -> dict[str, Any]:
    with_agreed = [line for line in lines if line["agreed"] is not None]
    agreed = sum(line["agreed"] for line in with_agreed)
    forecast_of_agreed = sum(line["forecast"] for line in with_agreed)
    return {
        "customers": len(lines), "forecast": sum(line["forecast"] for line in lines),
        "agreed_customers": len(with_agreed), "agreed": agreed, "forecast_of_agreed": forecast_of_agreed,
        "difference": forecast_of_agreed - agreed if with_agreed else None,
        "difference_pct": rules.difference_pct(forecast_of_agreed, agreed) if with_agreed else None,
    }  # fmt: skip


def team_forecast(query: ViewQuery, *, facts: FactsStore, views: OrderViewsStore, timezone: str) -> dict[str, Any]:
    """The forecast of every customer of the caller's scope, per manager and in total; a page of customers."""
    month = _target(query, timezone)
    scope = scope_for(query.caller, query.manager_id, query.team_id)
    owners: dict[str, Owner] = {o.customer_id: o for o in views.owned(scope.manager_id, scope.team_id)}
    basis = rules.basis_months(month)
    summed = views.forecast_lines(month, scope.manager_id, scope.team_id)
    nothing = ([0] * len(basis), 0, None)  # no orders in the basis months, no agreed quantity
    lines = [_line(cid, *(summed.get(cid) or nothing)) for cid in sorted(owners)]
    per_manager: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        owner = owners[line["customer_id"]]
        per_manager[(owner.manager_id, owner.team_id)].append(line)
    page = page_of(lines, query)
    cards = facts.customers([item["customer_id"] for item in page["items"]])
    names = {cid: str(doc.get("name", "")) for cid, doc in cards.items()}
    page["items"] = [
        {**line, "name": names.get(line["customer_id"], ""), "manager_id": owners[line["customer_id"]].manager_id}
        for line in page["items"]
    ]
    return {
        "month": month, "method": METHOD, "weights": list(rules.WEIGHTS[: len(basis)]), "basis_months": basis,
        "manager_id": scope.manager_id, "team_id": scope.team_id, **_totals(lines),
        "managers": [
            {"manager_id": m, "team_id": t, **_totals(group)} for (m, t), group in sorted(per_manager.items())
        ],
        **page,
    }  # fmt: skip


def customer_forecast(query: ViewQuery, *, facts: FactsStore, views: OrderViewsStore, timezone: str) -> dict[str, Any]:
    """One customer's forecast with the months it stands on (P-003-10), against the agreed quantity."""
    owner, card = readable(query, facts)
    month = _target(query, timezone)
    basis, history, agreed = _figures([owner.customer_id], month, facts, views)
    cid, mine = owner.customer_id, history[owner.customer_id]
    line = _line(cid, [mine[m] for m in basis], rules.weighted(mine, basis), agreed.get(cid))
    return {
        **line, "name": str((card or {}).get("name", "")), "manager_id": owner.manager_id, "month": month,
        "method": METHOD,
        "basis": [{"month": m, "ordered": history[owner.customer_id][m], "weight": w}
                  for w, m in zip(rules.WEIGHTS, basis, strict=False)],
    }  # fmt: skip
