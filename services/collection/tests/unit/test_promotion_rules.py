"""The pure brand-promotion rules (docs/domain.md §1.5.10, P-002-T4)."""

from __future__ import annotations

from datetime import date

import pytest

from collection.domain import promotion as rules
from collection.domain.errors import InvalidPromotion
from collection.domain.model import Promotion

LAUNCH = Promotion("p1", "黄山(天都)新品推介", ("SKU008",), "卖点与营销要求", "2026-11-01", "2026-11-30")


def test_P_002_T4_a_promotion_is_shown_while_active_and_within_its_window() -> None:
    assert rules.check_promotion(LAUNCH, {"SKU008"}) == LAUNCH
    assert rules.is_current(LAUNCH, date(2026, 11, 30)) and not rules.is_current(LAUNCH, date(2026, 12, 1))
    with pytest.raises(InvalidPromotion) as raised:
        rules.check_promotion(Promotion("p2", "", ("NOPE",), "", "2026-12-01", "2026-11-01"), {"SKU008"})
    assert set(raised.value.details) == {"title", "skus", "valid_to"}


def test_R_1_5_10_feedback_and_sales_intention_on_a_small_scale() -> None:
    rules.check_feedback("包装好看，愿意试销", "medium", 5)
    with pytest.raises(InvalidPromotion) as raised:
        rules.check_feedback("", "maybe", -1)
    assert set(raised.value.details) == {"intent", "intended_qty"}
