"""Pure rules of the special-use report (docs/domain.md §1.5.9.2) and the price guidance of P-002-T9.

P-002-T9 gives price bands for weddings and funerals in cities and the countryside. They are
guidance: a line outside its band is warned about, never refused. The bands are read as the
reference carton price in yuan (the unit in which these purchases are made), kept in fen here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from collection.domain.errors import InvalidSpecialUseReport
from collection.domain.model import AgreedLine, Sku

OCCASIONS = ("wedding", "funeral", "meeting", "other")
AREAS = ("city", "countryside", "")
PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,19}$")
# (occasion, area) → (lowest, highest) reference carton price in fen; None = open-ended
PRICE_GUIDANCE: dict[tuple[str, str], tuple[int, int | None]] = {
    ("wedding", "city"): (10000, None),
    ("wedding", "countryside"): (7000, 10000),
    ("funeral", "city"): (7000, 10000),
    ("funeral", "countryside"): (5000, 7000),
}


def _field_problems(consumer_name: str, phone: str, occasion: str, area: str, event_date: str) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not consumer_name.strip() or len(consumer_name) > 100:
        problems["consumer_name"] = "required, at most 100 characters"
    if not PHONE.match(phone.strip()):
        problems["phone"] = "not a phone number"
    if occasion not in OCCASIONS:
        problems["occasion"] = "must be one of: " + ", ".join(OCCASIONS)
    if area not in AREAS:
        problems["area"] = "must be city or countryside"
    try:
        date.fromisoformat(event_date)
    except ValueError:
        problems["event_date"] = "not a YYYY-MM-DD date"
    return problems


def check_report(
    consumer_name: str, phone: str, occasion: str, area: str, event_date: str, lines: Sequence[AgreedLine],
    catalogue: Mapping[str, Sku],
) -> tuple[AgreedLine, ...]:  # fmt: skip
    """Required fields, a known occasion, a date, and catalogue SKUs with positive quantities; all at once."""
    details: dict[str, Any] = _field_problems(consumer_name, phone, occasion, area, event_date)
    failures: list[dict[str, Any]] = []
    for index, line in enumerate(lines):
        if line.sku not in catalogue:
            failures.append({"index": index, "sku": line.sku, "field": "sku", "reason": "not in the catalogue"})
        if line.qty <= 0:
            failures.append({"index": index, "sku": line.sku, "field": "qty", "reason": "must be positive"})
    if failures or not lines:
        details["lines"] = failures or [{"index": -1, "sku": "", "field": "lines", "reason": "at least one line"}]
    if details:
        raise InvalidSpecialUseReport(**details)
    return tuple(lines)


def price_warnings(
    occasion: str, area: str, lines: Sequence[AgreedLine], catalogue: Mapping[str, Sku]
) -> tuple[dict[str, Any], ...]:
    """P-002-T9: lines whose reference carton price is outside the occasion's band for the area (warned only)."""
    band = PRICE_GUIDANCE.get((occasion, area))
    if band is None:
        return ()
    low, high = band
    warnings = []
    for index, line in enumerate(lines):
        price = catalogue[line.sku].ref_carton_price_fen
        if price < low or (high is not None and price > high):
            upper = f"–{high // 100}" if high is not None else "+"
            reason = f"P-002-T9 suggests {low // 100}{upper} yuan a carton for a {occasion} in the {area}"
            warnings.append({"index": index, "sku": line.sku, "ref_carton_price": price, "reason": reason})
    return tuple(warnings)
