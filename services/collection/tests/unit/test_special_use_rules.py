"""The pure special-use rules (docs/domain.md §1.5.9.2) and the P-002-T9 price guidance."""

from __future__ import annotations

import pytest

from collection.demo import demo_catalogue
from collection.domain import special_use as rules
from collection.domain.errors import InvalidSpecialUseReport
from collection.domain.model import AgreedLine

CATALOGUE = {s.sku: s for s in demo_catalogue()}
ZHONGHUA, HONGTASHAN, DUBAO = "SKU001", "SKU019", "SKU042"  # cartons 450, 75 and 28 yuan


def test_P_002_T9_price_bands_per_occasion_and_area_are_warned_not_refused() -> None:
    lines = [AgreedLine(ZHONGHUA, 10), AgreedLine(HONGTASHAN, 10), AgreedLine(DUBAO, 10)]

    def warned(occasion: str, area: str) -> list[str]:
        return [w["sku"] for w in rules.price_warnings(occasion, area, lines, CATALOGUE)]

    assert warned("wedding", "city") == [HONGTASHAN, DUBAO]  # ≥ 100 yuan
    assert warned("wedding", "countryside") == [ZHONGHUA, DUBAO]  # 70–100 yuan
    assert warned("funeral", "city") == [ZHONGHUA, DUBAO]  # 70–100 yuan
    assert warned("funeral", "countryside") == [ZHONGHUA, HONGTASHAN, DUBAO]  # 50–70 yuan
    assert warned("meeting", "city") == [] and warned("wedding", "") == []


def test_R_1_5_9_2_consumer_occasion_date_and_lines_are_required() -> None:
    assert rules.check_report(
        "张先生", "13800000000", "wedding", "city", "2026-12-18", [AgreedLine(ZHONGHUA, 5)], CATALOGUE
    )
    with pytest.raises(InvalidSpecialUseReport) as raised:
        rules.check_report("", "abc", "party", "moon", "18/12", [AgreedLine("NOPE", 0)], CATALOGUE)
    details = raised.value.details
    assert set(details) == {"consumer_name", "phone", "occasion", "area", "event_date", "lines"}
    assert [(f["index"], f["field"]) for f in details["lines"]] == [(0, "sku"), (0, "qty")]
