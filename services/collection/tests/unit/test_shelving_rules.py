"""The pure shelving rules (P-002-T3): shelved yes/no per key brand at a visit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collection.domain import shelving as rules
from collection.domain.errors import InvalidShelving
from collection.domain.model import ShelvingFact, ShelvingRecord

AT = datetime(2026, 11, 28, tzinfo=UTC)


def test_P_002_T3_catalogue_brands_once_each() -> None:
    facts = [ShelvingFact("黄山", True), ShelvingFact("中华", False)]
    assert rules.check_facts(facts, {"黄山", "中华"}) == tuple(facts)
    with pytest.raises(InvalidShelving) as raised:
        rules.check_facts(
            [ShelvingFact("黄山", True), ShelvingFact("黄山", False), ShelvingFact("无名", True)], {"黄山"}
        )
    assert [(f["index"], f["reason"]) for f in raised.value.details["brands"]] == [
        (1, "listed twice"),
        (2, "not a catalogue brand"),
    ]


def test_P_002_T3_the_newest_fact_per_brand_counts() -> None:
    newer = ShelvingRecord("r2", "v2", "c1", "m001", "t01", "2026-11-28", (ShelvingFact("黄山", True),), AT, "op2")
    older = ShelvingRecord(
        "r1",
        "v1",
        "c1",
        "m001",
        "t01",
        "2026-11-20",
        (ShelvingFact("黄山", False), ShelvingFact("中华", True)),
        AT,
        "op1",
    )
    assert rules.latest_per_brand([newer, older]) == {"黄山": (True, "2026-11-28"), "中华": (True, "2026-11-20")}
