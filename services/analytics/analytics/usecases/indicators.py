"""Indicators (docs/domain.md P-002-8/9/10, P-002-T1): targets per manager and period, and the weekly
or monthly report of volume, key brands, value per carton and plan execution against them.

Targets come from the admin import (`import_targets`). The actuals are read at request time from
precomputed views: the order summaries (one per manager's month and team, summed from the rows
filed under the customer's current owner: order days, their customers and SKU cartons) and the
day counts of the period's days (planned and completed visits, counted from each day-progress
document when it is written), and the forecast summaries of the next period's months (the
forecast volume, an inference: domain/indicators.py). Scope as every
business view (P-004-15): a manager themself, a supervisor their team, an admin anyone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from analytics.adapters.facts_store import FactsStore
from analytics.adapters.order_views_store import OrderViewsStore
from analytics.adapters.plan_facts_reader import PlanFactsReader
from analytics.adapters.targets_store import TargetsStore, same_figures, target_id
from analytics.domain import forecast as fc
from analytics.domain import indicators as ind
from analytics.domain.business import Scope, scope_for
from analytics.domain.errors import BadPeriod, RoleNotAllowed
from analytics.usecases.orders import ViewQuery, resolve_month
from baifang_common.timeutil import iso, now_utc, today

Rejection = tuple[int, str, str]


def _brands(value: Any) -> tuple[tuple[str, int], ...] | str:
    """[[brand, cartons], ...] or {brand: cartons} → pairs; the reason when malformed."""
    pairs = list(value.items()) if isinstance(value, dict) else value
    if not isinstance(pairs, list):
        return "a list of [brand, cartons]"
    out: dict[str, int] = {}
    for pair in pairs:
        if not (isinstance(pair, list | tuple) and len(pair) == 2 and isinstance(pair[0], str)):
            return "a list of [brand, cartons]"
        if isinstance(pair[1], bool) or not isinstance(pair[1], int) or pair[1] < 0:
            return f"cartons of {pair[0]} must be a whole number, not negative"
        out[pair[0]] = pair[1]
    return tuple(sorted(out.items()))


def _target(row: dict[str, Any], key_brands: Sequence[str]) -> ind.Target | tuple[str, str]:
    """One import row as a target, or (field, reason)."""
    manager_id, period = str(row.get("manager_id") or ""), str(row.get("period") or "")
    if not manager_id:
        return "manager_id", "required"
    if not ind.period_kind(period):
        return "period", "a month YYYY-MM or an ISO week YYYY-Www"
    brands = _brands(row.get("key_brands") or [])
    if isinstance(brands, str):
        return "key_brands", brands
    unknown = [brand for brand, _ in brands if brand not in key_brands]
    if unknown:
        return "key_brands", f"not a configured key brand: {', '.join(unknown)}"
    for name in ("volume", "value_per_carton_fen"):
        value = row.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            return name, "a whole number, not negative"
    plan = row.get("plan_execution_pct")
    if plan is not None and (isinstance(plan, bool) or not isinstance(plan, int | float) or not 0 <= plan <= 1000):
        return "plan_execution_pct", "a number from 0 to 1000"
    return ind.Target(
        manager_id=manager_id,
        period=period,
        team_id=str(row.get("team_id") or ""),
        volume=row.get("volume"),
        key_brands=brands,
        value_per_carton_fen=row.get("value_per_carton_fen"),
        plan_execution_pct=None if plan is None else float(plan),
    )


def import_targets(query: ViewQuery, *, targets: TargetsStore, key_brands: Sequence[str]) -> dict[str, Any]:
    """Admin only: each row applied, unchanged (equal to the stored target) or rejected by its index."""
    if not query.caller.is_admin:
        raise RoleNotAllowed(role=query.caller.role)
    rows = query.payload if isinstance(query.payload, list) else []
    rejected: list[Rejection] = []
    fresh: dict[str, tuple[int, ind.Target]] = {}
    for index, row in enumerate(rows):
        target = _target(row, key_brands) if isinstance(row, dict) else ("row", "not an object")
        if isinstance(target, tuple):
            rejected.append((index, *target))
            continue
        fresh[target_id(target.manager_id, target.period)] = (index, target)  # a later row wins
    stored = targets.stored(list(fresh))
    changed = [t for key, (_, t) in fresh.items() if not same_figures(stored.get(key), t)]
    targets.save(changed, query.caller.id, iso(now_utc()))
    kept = len(rows) - len(rejected)
    return {"applied": len(changed), "unchanged": kept - len(changed), "rejected": [list(r) for r in rejected]}


def _period(query: ViewQuery, timezone: str) -> str:
    if query.week:
        if ind.period_kind(query.week) != "week":
            raise BadPeriod(week=query.week)
        return query.week
    if query.by == "week":
        return ind.week_of(today(timezone))
    return resolve_month(query.month, timezone)


def _order_actuals(
    summaries: Sequence[dict[str, Any]], days: set[str], brand_of: dict[str, str], key_brands: Sequence[str]
) -> dict[str, ind.Actuals]:
    """Per manager: cartons, amount and key-brand cartons of the period's order days (from the
    managers' month summaries)."""
    out: dict[str, ind.Actuals] = defaultdict(ind.Actuals)
    keyed = {sku: brand for sku, brand in brand_of.items() if brand in set(key_brands)}  # the SKUs that count
    for summary in summaries:
        if not summary.get("manager_id"):
            continue
        mine = out[summary["manager_id"]]
        mine.team_id = mine.team_id or str(summary.get("team_id") or "")
        day_skus, brands = summary["day_skus"], mine.brands
        for day, (quantity, amount) in summary["day_totals"].items():
            if day not in days:
                continue
            mine.volume, mine.amount_fen = mine.volume + int(quantity), mine.amount_fen + int(amount)
            for sku, cartons in day_skus.get(day, ()) if keyed else ():
                if brand := keyed.get(sku):
                    brands[brand] = brands.get(brand, 0) + int(cartons)
    return out


def _visit_actuals(counts: Sequence[dict[str, Any]], out: dict[str, ind.Actuals]) -> None:
    for count in counts:
        mine = out[str(count.get("manager_id", ""))]
        mine.team_id = mine.team_id or str(count.get("team_id") or "")
        mine.planned_visits += int(count.get("planned", 0))
        mine.completed_visits += int(count.get("completed", 0))


def _forecasts(views: OrderViewsStore, period: str, scope: Scope) -> tuple[str | None, dict[str, int]]:
    """The next period and each manager's forecast volume for it, from the months' forecast totals."""
    try:
        upcoming = ind.following(period)
    except (ValueError, OverflowError):  # past year 9999
        return None, {}
    days = ind.period_days(upcoming)
    per_manager: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for month, totals in views.forecast_month_totals(sorted({day[:7] for day in days})).items():
        for manager_id, team_id, forecast in totals:
            if scope.manager_id in ("", manager_id) and scope.team_id in ("", team_id):
                per_manager[manager_id][month] += int(forecast)
    return upcoming, {manager_id: fc.share_of_days(months, days) for manager_id, months in per_manager.items()}


def indicators(
    query: ViewQuery,
    *,
    facts: FactsStore,
    views: OrderViewsStore,
    plans: PlanFactsReader,
    targets: TargetsStore,
    key_brands: Sequence[str],
    timezone: str,
) -> dict[str, Any]:
    """The period's indicators per manager, per team and in total, against the targets."""
    period = _period(query, timezone)
    scope = scope_for(query.caller, query.manager_id, query.team_id)
    days = ind.period_days(period)
    brand_of = {sku: str(doc.get("brand", "")) for sku, doc in facts.skus().items()}
    months = sorted({day[:7] for day in days})
    summaries = [
        s for m in months for s in views.month_summaries(m, scope.manager_id, scope.team_id, ["day_totals", "day_skus"])
    ]
    actuals = _order_actuals(summaries, set(days), brand_of, key_brands)
    _visit_actuals(plans.day_counts(days, scope.manager_id, scope.team_id), actuals)
    aims = {t.manager_id: t for t in targets.period(period, scope.manager_id, scope.team_id)}
    upcoming, forecasts = _forecasts(views, period, scope)
    managers = sorted(set(actuals) | set(aims))
    team_of = {m: actuals[m].team_id or (aims[m].team_id if m in aims else "") for m in managers}
    teams: dict[str, list[str]] = defaultdict(list)
    for manager_id in managers:
        teams[team_of[manager_id]].append(manager_id)

    def group(members: Sequence[str]) -> dict[str, Any]:
        aim = ind.group_target([aims[m] for m in members if m in aims], key_brands)
        return {"managers": len(members), **ind.report(aim, ind.totals(actuals[m] for m in members), key_brands),
                "forecast_volume": sum(forecasts.get(m, 0) for m in members) if upcoming else None}  # fmt: skip

    kind = ind.period_kind(period)
    return {
        "period": kind, "month": period if kind == "month" else None, "week": period if kind == "week" else None,
        "start": days[0], "end": days[-1], "manager_id": scope.manager_id, "team_id": scope.team_id,
        "key_brands": list(key_brands), "forecast_period": upcoming, "totals": group(managers),
        "teams": [{"team_id": team_id, **group(members)} for team_id, members in sorted(teams.items())],
        "managers": [
            {"manager_id": m, "team_id": team_of[m], "has_target": m in aims,
             **ind.report(aims.get(m), actuals[m], key_brands),
             "forecast_volume": forecasts.get(m, 0) if upcoming else None}
            for m in managers
        ],
    }  # fmt: skip
