"""The pure agreed-quantity rules (docs/domain.md §1.5.8.2), named after their rule ids."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from collection.domain import agreed_quantity as rules
from collection.domain.errors import Forbidden, Immutable, InvalidAgreedQuantity, MonthNotCurrent
from collection.domain.model import AgreedLine, AgreedQuantity, CustomerOwner

TODAY = date(2026, 11, 28)
AT = datetime(2026, 11, 1, tzinfo=UTC)


def test_R_1_5_8_2_a_a_submitted_month_is_immutable() -> None:
    rules.ensure_not_submitted(None)
    record = AgreedQuantity("c1", "2026-11", "m001", "t01", (AgreedLine("SKU001", 5),), AT, "m001", "op")
    with pytest.raises(Immutable):
        rules.ensure_not_submitted(record)


def test_R_1_5_8_2_b_lines_per_sku_with_the_total_derived() -> None:
    lines = (AgreedLine("SKU001", 5), AgreedLine("SKU002", 7))
    assert rules.check_lines(lines, {"SKU001", "SKU002"}) == lines
    assert AgreedQuantity("c1", "2026-11", "m001", "t01", lines, AT, "m001", "op").total == 12
    bad = [AgreedLine("SKU001", 0), AgreedLine("NOPE", 1), AgreedLine("SKU002", 3), AgreedLine("SKU002", -1)]
    with pytest.raises(InvalidAgreedQuantity) as raised:
        rules.check_lines(bad, {"SKU001", "SKU002"})
    assert [(f["index"], f["field"]) for f in raised.value.details["lines"]] == [
        (0, "qty"),
        (1, "sku"),
        (3, "sku"),
        (3, "qty"),
    ]
    with pytest.raises(InvalidArgument):
        rules.check_lines([], {"SKU001"})


def test_R_1_5_8_2_c_only_the_current_month() -> None:
    rules.ensure_current_month("2026-11", TODAY)
    for month in ("2026-10", "2026-12", "2025-11"):
        with pytest.raises(MonthNotCurrent):
            rules.ensure_current_month(month, TODAY)
    for malformed in ("2026-13", "2026-1", "november"):
        with pytest.raises(InvalidArgument):
            rules.ensure_current_month(malformed, TODAY)


def test_P_004_15_only_the_customers_manager_writes_an_agreed_quantity() -> None:
    owner = CustomerOwner("c1", "m001", "t01", AT, AT)
    rules.ensure_can_write(Caller("m001", "manager", "t01"), owner)
    for other in (Caller("m002", "manager", "t01"), Caller("s01", "supervisor", "t01"), Caller("a", "admin")):
        with pytest.raises(Forbidden):
            rules.ensure_can_write(other, owner)
