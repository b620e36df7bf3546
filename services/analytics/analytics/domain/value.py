"""Customer value class A/B/C/D (P-004-7/8/9, P-000-5, P-003-12): a pure function of purchases and tenure.

Realized value is what the customer bought over the last `window_months` months (the current
month included); tenure is the whole months since its first imported order. The history is a
pure function of the same order facts (`history`): the class as judged at the end of every closed
month since the first order's month, and as of today for the current one, so a rebuild from the
stored facts gives the history the worker kept, whatever order the events arrived in. No event carries
payment behaviour (on-time payment, arrears), so it is not an input: the figures say so
(`payment_behaviour: null`). The thresholds are settings (ANALYTICS_VALUE_*, settings.py).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from analytics.domain.business import months_back

CLASSES = ("A", "B", "C", "D")


@dataclass(frozen=True)
class ValuePolicy:
    """Purchase thresholds (fen over the window) per class, and the tenure that lifts a class by one."""

    window_months: int = 12
    a_min_fen: int = 5_000_000
    b_min_fen: int = 2_000_000
    c_min_fen: int = 500_000
    tenure_lift_months: int = 24

    def as_dict(self) -> dict[str, int]:
        return {
            "window_months": self.window_months, "a_min_fen": self.a_min_fen, "b_min_fen": self.b_min_fen,
            "c_min_fen": self.c_min_fen, "tenure_lift_months": self.tenure_lift_months,
        }  # fmt: skip


def tenure_months(first: date | None, today: date) -> int:
    """Whole months from the first order to today (0 without orders)."""
    if first is None or first > today:
        return 0
    months = (today.year - first.year) * 12 + today.month - first.month
    return months - (1 if today.day < first.day else 0)


def figures(orders: Iterable[dict[str, Any]], today: date, policy: ValuePolicy) -> dict[str, Any]:
    """The inputs of the class from the customer's order lines (order_date, quantity, amount_fen)."""
    window = set(months_back(today.isoformat()[:7], policy.window_months))
    amount = cartons = 0
    months: set[str] = set()
    first: str | None = None
    for line in orders:
        day = str(line["order_date"])
        first = day if first is None or day < first else first
        if day[:7] in window and day <= today.isoformat():
            amount, cartons = amount + int(line["amount_fen"]), cartons + int(line["quantity"])
            months.add(day[:7])
    first_day = date.fromisoformat(first) if first else None
    return {
        "window_months": policy.window_months, "amount_fen": amount, "cartons": cartons,
        "order_months": len(months), "first_order_date": first, "tenure_months": tenure_months(first_day, today),
        "payment_behaviour": None,
    }  # fmt: skip


def classify(values: dict[str, Any], policy: ValuePolicy) -> str:
    """A/B/C/D by the window's purchases; a customer buying for `tenure_lift_months` or longer goes up one
    class (never above A, never out of D: a customer who bought nothing in the window stays D)."""
    amount = int(values["amount_fen"])
    rank = sum(1 for floor in (policy.a_min_fen, policy.b_min_fen, policy.c_min_fen) if amount < floor)
    if 0 < rank < 3 and int(values["tenure_months"]) >= policy.tenure_lift_months:
        rank -= 1
    return CLASSES[rank]


def judgement_days(first: date | None, today: date) -> list[date]:
    """The last day of every month from the first order's month to the one before today's, then
    today (none without an order up to today)."""
    if first is None or first > today:
        return []
    days = []
    year, month = first.year, first.month
    while (year, month) < (today.year, today.month):
        days.append(date(year, month, calendar.monthrange(year, month)[1]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return [*days, today]


def history(orders: Sequence[dict[str, Any]], today: date, policy: ValuePolicy) -> list[dict[str, Any]]:
    """The class judged on each of `judgement_days` from the order lines dated up to that day, one
    entry per change of class (oldest first): `since` the day it was first judged so, `month` its month."""
    dates = [str(line["order_date"]) for line in orders]
    first = date.fromisoformat(min(dates)) if dates else None
    entries: list[dict[str, Any]] = []
    for day in judgement_days(first, today):
        values = figures(orders, day, policy)
        value_class = classify(values, policy)
        if not entries or entries[-1]["value_class"] != value_class:
            entries.append({"value_class": value_class, "since": day.isoformat(), "month": day.isoformat()[:7],
                            "amount_fen": values["amount_fen"], "tenure_months": values["tenure_months"]})  # fmt: skip
    return entries
