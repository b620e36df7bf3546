"""The sales forecast (销售预测, P-002-8, P-003-10): next month's cartons per customer.

Method: a weighted moving average of the cartons ordered in the three whole months before the
forecast month, weights 3 (the month before), 2 and 1, divided by the weights of the months that
exist; seasonality and trend are left out. A month without orders counts as 0 cartons. The result
is rounded half up to whole cartons. Simple enough to explain to a manager and to check by hand.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from fractions import Fraction

from analytics.domain.business import months_back

WEIGHTS = (3, 2, 1)  # the month before the forecast month first


def basis_months(month: str) -> list[str]:
    """The whole months the forecast of `month` reads, most recent first (none before 0001-01)."""
    return months_back(month, len(WEIGHTS) + 1)[:-1][::-1]


def fed_by(month: str) -> list[str]:
    """The forecast months whose figures read `month`'s: itself (its agreed quantities) and the
    months whose basis it is (the next len(WEIGHTS))."""
    year, number = int(month[:4]), int(month[5:7])
    out = []
    for _ in range(len(WEIGHTS) + 1):
        if year > 9999:  # past what dates can express
            break
        out.append(f"{year:04d}-{number:02d}")
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return out


def weighted(ordered: Mapping[str, int], months: Sequence[str]) -> int:
    """Σ weight × cartons / Σ weight over `months` (most recent first), rounded half up; 0 without months."""
    pairs = list(zip(WEIGHTS, months, strict=False))
    total_weight = sum(w for w, _ in pairs)
    if not total_weight:
        return 0
    numerator = sum(w * int(ordered.get(m, 0)) for w, m in pairs)
    return (2 * numerator + total_weight) // (2 * total_weight)


def share_of_days(forecasts: Mapping[str, int], days: Sequence[str]) -> int:
    """The forecast of some days (YYYY-MM-DD): each day its month's forecast ÷ the month's days,
    summed, rounded half up (a whole month gives its forecast)."""
    per_month: dict[str, int] = {}  # one fraction per month, not per day: a report sums 30 managers'
    for day in days:
        per_month[day[:7]] = per_month.get(day[:7], 0) + 1
    total = sum(
        (Fraction(int(forecasts.get(month, 0)) * n, calendar.monthrange(int(month[:4]), int(month[5:7]))[1])
         for month, n in per_month.items()),
        Fraction(0),
    )  # fmt: skip
    return (2 * total.numerator + total.denominator) // (2 * total.denominator)


def difference_pct(forecast: int, agreed: int | None) -> float | None:
    """(forecast − agreed) / agreed in percent, one decimal; None without an agreed quantity."""
    if not agreed:
        return None
    return round((forecast - agreed) * 100 / agreed, 1)
