"""Pure rules of the agreed quantity (docs/domain.md §1.5.8.2, R-1.5.8.2-a…d)."""

from __future__ import annotations

import re
from collections.abc import Container, Sequence
from datetime import date
from typing import Any

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from collection.domain.errors import Forbidden, Immutable, InvalidAgreedQuantity, MonthNotCurrent
from collection.domain.model import AgreedLine, AgreedQuantity, CustomerOwner

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def ensure_current_month(month: str, today: date) -> None:
    """R-1.5.8.2-c: the current month (company time) only; past and next months are refused (422)."""
    if not MONTH.match(month):
        raise InvalidArgument("month is not YYYY-MM", field="month")
    if month != month_of(today):
        raise MonthNotCurrent(month=month, current=month_of(today))


def check_lines(lines: Sequence[AgreedLine], catalogue: Container[str]) -> tuple[AgreedLine, ...]:
    """R-1.5.8.2-b: per SKU line, a catalogue SKU once, a positive quantity; every failure at once."""
    if not lines:
        raise InvalidArgument("an agreed quantity needs at least one line", field="lines")
    failures: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, line in enumerate(lines):
        if line.sku not in catalogue:
            failures.append({"index": index, "sku": line.sku, "field": "sku", "reason": "not in the catalogue"})
        elif line.sku in seen:
            failures.append({"index": index, "sku": line.sku, "field": "sku", "reason": "listed twice"})
        if line.qty <= 0:
            failures.append({"index": index, "sku": line.sku, "field": "qty", "reason": "must be positive"})
        seen.add(line.sku)
    if failures:
        raise InvalidAgreedQuantity(lines=failures)
    return tuple(lines)


def ensure_not_submitted(existing: AgreedQuantity | None) -> None:
    """R-1.5.8.2-a/d: a submitted month never changes (increases go through supply adjustment)."""
    if existing is not None:
        raise Immutable(customer_id=existing.customer_id, month=existing.month)


def ensure_can_write(caller: Caller, owner: CustomerOwner) -> None:
    """P-004-15: only the customer's manager writes."""
    if not caller.is_manager or caller.id != owner.manager_id:
        raise Forbidden(customer_id=owner.customer_id)
