"""The pure supply-adjustment rules (docs/domain.md §1.5.9.1), named after their rule ids."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from baifang_common.context import Caller
from collection.domain import supply_adjustment as rules
from collection.domain.errors import AlreadyDecided, Forbidden, InvalidSupplyAdjustment
from collection.domain.model import AgreedLine, AgreedQuantity, SupplyAdjustment

AT = datetime(2026, 11, 28, tzinfo=UTC)
M001 = Caller("m001", "manager", "t01")
S01 = Caller("s01", "supervisor", "t01")
S02 = Caller("s02", "supervisor", "t02")


def adjustment(status: str = "pending", *lines: AgreedLine) -> SupplyAdjustment:
    lines = lines or (AgreedLine("SKU001", 5),)
    return SupplyAdjustment("a1", "c1", "2026-11", "m001", "t01", lines, "婚宴", AT, "op", status)


def test_R_1_5_9_1_a_increases_only() -> None:
    rules.check_request([AgreedLine("SKU001", 1)], "婚宴", {"SKU001"})
    with pytest.raises(InvalidSupplyAdjustment) as raised:
        rules.check_request([AgreedLine("SKU001", 0), AgreedLine("SKU001", -3)], "婚宴", {"SKU001"})
    assert [(f["index"], f["field"]) for f in raised.value.details["lines"]] == [
        (0, "extra_qty"),
        (1, "sku"),
        (1, "extra_qty"),
    ]


def test_R_1_5_9_1_b_pending_to_approved_rejected_or_withdrawn_then_final() -> None:
    assert rules.transition(adjustment(), "approve", S01, AT).status == "approved"
    assert rules.transition(adjustment(), "reject", S01, AT, "库存不足").note == "库存不足"
    assert rules.transition(adjustment(), "withdraw", M001, AT).status == "withdrawn"
    for status in ("approved", "rejected", "withdrawn"):
        with pytest.raises(AlreadyDecided):
            rules.transition(adjustment(status), "approve", S01, AT)


def test_R_1_5_9_1_c_effective_quantity_counts_approved_increases_only() -> None:
    agreed = AgreedQuantity("c1", "2026-11", "m001", "t01", (AgreedLine("SKU001", 20),), AT, "m001", "op")
    adjustments = [
        adjustment("approved", AgreedLine("SKU001", 5), AgreedLine("SKU002", 3)),
        adjustment("pending", AgreedLine("SKU001", 100)),
        adjustment("rejected", AgreedLine("SKU001", 100)),
        adjustment("withdrawn", AgreedLine("SKU001", 100)),
    ]
    assert rules.effective_quantities(agreed, adjustments) == {"SKU001": 25, "SKU002": 3}
    assert rules.effective_quantities(None, []) == {}


def test_R_1_5_9_1_d_only_the_requesters_supervisor_decides() -> None:
    for caller in (M001, S02, Caller("m002", "manager", "t01"), Caller("admin", "admin")):
        with pytest.raises(Forbidden):
            rules.transition(adjustment(), "approve", caller, AT)
    with pytest.raises(Forbidden):
        rules.transition(adjustment(), "withdraw", S01, AT)


def test_R_1_5_9_1_e_a_reason_is_required() -> None:
    with pytest.raises(InvalidSupplyAdjustment) as raised:
        rules.check_request([AgreedLine("SKU001", 1)], "  ", {"SKU001"})
    assert "reason" in raised.value.details
