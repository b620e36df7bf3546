"""Indicator rules (docs/domain.md P-002-8/9/10, P-002-T1): periods, targets, actuals and deviations.

A period is a month `YYYY-MM` or an ISO week `YYYY-Www` (Monday to Sunday). Four indicators per
manager, and summed per team and in total:
  volume                cartons ordered in the period (the order views, by the customer's owner)
  key_brands            cartons of each configured key brand
  value_per_carton_fen  amount ÷ cartons (单条值), integer fen rounded half up
  plan_execution_pct    completed planned visits ÷ planned visits × 100, one decimal
each as {target, actual, deviation (actual − target), deviation_pct ((actual − target) ÷ target × 100,
one decimal)}; a missing target (or a zero one, for the percentage) gives null deviations.
Beside them, an inference of ours (the source asks for the forecast, not for it in this report):
forecast_volume, the cartons the sales forecast (domain/forecast.py) expects in the next period,
the month after a month report or the week after a week report: each day of that period counts
its month's forecast ÷ the month's days, summed and rounded half up per manager (a whole month
is its forecast); a group's is the sum of its managers'.
A group's targets: volume and key brands summed; value per carton the implied amount over the
implied cartons, Σ(target × volume target) ÷ Σ volume target, over the managers with both; plan
execution the mean of the managers' targets.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from analytics.domain.model import VisitStatus
from analytics.domain.rules import planned_visits

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def period_kind(period: str) -> str:
    """'month', 'week', or '' when the text is neither."""
    if MONTH.match(period):
        return "month"
    match = WEEK.match(period)
    if match:
        try:
            date.fromisocalendar(int(match[1]), int(match[2]), 7)
        except ValueError:  # no such week, or one that ends past 9999-12-31 (9999-W52)
            return ""
        return "week"
    return ""


def period_days(period: str) -> list[str]:
    """Every date (YYYY-MM-DD) of the month or ISO week, in order."""
    if period_kind(period) == "week":
        match = WEEK.match(period)
        assert match is not None
        first = date.fromisocalendar(int(match[1]), int(match[2]), 1)
        return [(first + timedelta(n)).isoformat() for n in range(7)]
    first = date.fromisoformat(f"{period}-01")
    length = calendar.monthrange(first.year, first.month)[1]  # no date past the month: 9999-12 has an end
    return [(first + timedelta(n)).isoformat() for n in range(length)]


def following(period: str) -> str:
    """The month or ISO week after `period` (ValueError or OverflowError past year 9999)."""
    after = date.fromisoformat(period_days(period)[-1]) + timedelta(days=1)
    upcoming = week_of(after) if period_kind(period) == "week" else after.isoformat()[:7]
    if not period_kind(upcoming):  # 9999-W52 would end in the year 10000
        raise ValueError(f"no period after {period}")
    return upcoming


def week_of(day: date) -> str:
    """The ISO week of a date, as `YYYY-Www`."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Target:
    """One manager's target for one period; None = no target for that indicator."""

    manager_id: str
    period: str
    team_id: str = ""
    volume: int | None = None
    key_brands: tuple[tuple[str, int], ...] = ()
    value_per_carton_fen: int | None = None
    plan_execution_pct: float | None = None


@dataclass
class Actuals:
    """What one manager did in the period."""

    team_id: str = ""
    volume: int = 0
    amount_fen: int = 0
    brands: dict[str, int] = field(default_factory=dict)
    planned_visits: int = 0
    completed_visits: int = 0

    def add(self, other: Actuals) -> None:
        self.volume += other.volume
        self.amount_fen += other.amount_fen
        for brand, cartons in other.brands.items():
            self.brands[brand] = self.brands.get(brand, 0) + cartons
        self.planned_visits += other.planned_visits
        self.completed_visits += other.completed_visits


def visit_counts(doc: Mapping[str, Any]) -> tuple[int, int]:
    """(planned, completed) visits of one `day_progress` document, counted as the attendance view's
    `visit_tally` counts them (a visit is planned when a plan lists it or it is temporary, completed
    once a completion is known) without building each visit: the indicators read a month of days."""
    plans = planned_visits(doc)
    recorded = doc.get("visits") or {}
    planned = completed = 0
    for visit_id in {*plans, *recorded}:
        fields = recorded.get(visit_id) or {}
        completion = fields.get("completion") if isinstance(fields.get("completion"), Mapping) else None
        temporary = fields.get("temporary") or (completion or {}).get("temporary")
        if visit_id in plans or temporary or fields.get("planned"):
            planned += 1
            completed += completion is not None or fields.get("status") == VisitStatus.COMPLETED
    return planned, completed


def per_carton(amount_fen: int, cartons: int) -> int | None:
    """Value per carton in fen, rounded half up; None without cartons."""
    if cartons <= 0:
        return None
    return (2 * amount_fen + cartons) // (2 * cartons)


def execution_pct(completed: int, planned: int) -> float | None:
    if planned <= 0:
        return None
    return round(completed * 100 / planned, 1)


def compared(target: float | None, actual: float | None) -> dict[str, Any]:
    """{target, actual, deviation, deviation_pct}: deviation = actual − target."""
    if target is None or actual is None:
        return {"target": target, "actual": actual, "deviation": None, "deviation_pct": None}
    deviation = round(actual - target, 1) if isinstance(actual, float) or isinstance(target, float) else actual - target
    pct = round((actual - target) * 100 / target, 1) if target else None
    return {"target": target, "actual": actual, "deviation": deviation, "deviation_pct": pct}


def group_target(targets: Sequence[Target], key_brands: Sequence[str]) -> Target:
    """The targets of several managers as one (see the module docstring)."""
    volumes = [t.volume for t in targets if t.volume is not None]
    brands = {
        brand: sum(dict(t.key_brands)[brand] for t in targets if brand in dict(t.key_brands)) for brand in key_brands
    }
    named = {brand for t in targets for brand, _ in t.key_brands}
    priced = [t for t in targets if t.volume and t.value_per_carton_fen is not None]
    cartons = sum(t.volume or 0 for t in priced)
    plans = [t.plan_execution_pct for t in targets if t.plan_execution_pct is not None]
    return Target(
        manager_id="",
        period=targets[0].period if targets else "",
        volume=sum(volumes) if volumes else None,
        key_brands=tuple((b, n) for b, n in brands.items() if b in named),
        value_per_carton_fen=per_carton(sum((t.volume or 0) * (t.value_per_carton_fen or 0) for t in priced), cartons)
        if priced
        else None,
        plan_execution_pct=round(sum(plans) / len(plans), 1) if plans else None,
    )


def report(target: Target | None, actuals: Actuals, key_brands: Sequence[str]) -> dict[str, Any]:
    """The four indicators of one manager or group against the target."""
    aim = target or Target(manager_id="", period="")
    brand_targets = dict(aim.key_brands)
    return {
        "volume": compared(aim.volume, actuals.volume),
        "key_brands": [
            {"brand": brand, **compared(brand_targets.get(brand), actuals.brands.get(brand, 0))} for brand in key_brands
        ],
        "value_per_carton_fen": compared(aim.value_per_carton_fen, per_carton(actuals.amount_fen, actuals.volume)),
        "plan_execution_pct": compared(
            aim.plan_execution_pct, execution_pct(actuals.completed_visits, actuals.planned_visits)
        ),
        "amount_fen": actuals.amount_fen,
        "planned_visits": actuals.planned_visits,
        "completed_visits": actuals.completed_visits,
    }


def totals(actuals: Iterable[Actuals]) -> Actuals:
    out = Actuals()
    for one in actuals:
        out.add(one)
    return out
