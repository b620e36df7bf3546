"""Visit-frequency compliance (P-004-1): customers visited fewer times than their tier asks, per manager.

A tier's frequency is "at least `visits` completed visits within `months` months" (the seed's
table: A and B once a month, C once a quarter); the period of a report month ends with that
month, so a C customer counts the visits of that month and the two before. The tier is the
customer card's value class (`value_class` of customer.upserted, the marketing system's); a tier
the table does not name asks for nothing. The table is a setting (ANALYTICS_VISIT_FREQUENCY).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence

from analytics.domain.business import months_back

DEFAULT_FREQUENCY: dict[str, tuple[int, int]] = {"A": (1, 1), "B": (1, 1), "C": (1, 3), "D": (0, 1)}


def requirement(table: Mapping[str, Sequence[int]], tier: str) -> tuple[int, int]:
    """(visits, months) the tier asks for; (0, 1) when the table does not name it."""
    visits, months = table.get(tier, (0, 1))
    return int(visits), max(int(months), 1)


def period_days(month: str, months: int) -> tuple[str, str]:
    """First and last day (YYYY-MM-DD) of the `months` months ending with `month`."""
    first = months_back(month, months)[0]
    last_day = calendar.monthrange(int(month[:4]), int(month[5:7]))[1]
    return f"{first}-01", f"{month}-{last_day:02d}"


def compliance_pct(customers: int, below: int) -> float | None:
    """Share of the customers with a requirement who met it, one decimal; None without any."""
    if customers <= 0:
        return None
    return round((customers - below) * 100 / customers, 1)
