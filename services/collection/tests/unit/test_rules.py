from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from collection.demo import demo_catalogue
from collection.domain.model import CustomerOwner, Sku
from collection.domain.rules import catalogue_problems, replaces, sku_problems, yuan

ZHONGHUA = Sku("SKU001", "中华(硬)", "中华", "ZHY", 1, 4500, 45000, 10)


@pytest.mark.parametrize(("fen", "text"), [(4500, "45.00"), (750, "7.50"), (5, "0.05"), (0, "0.00"), (-120, "-1.20")])
def test_fen_format_as_yuan_with_two_decimals(fen: int, text: str) -> None:
    assert yuan(fen) == text


def test_sound_entry_has_no_problems() -> None:
    assert sku_problems(ZHONGHUA) == {}


def test_price_class_outside_one_to_five_is_a_problem() -> None:
    assert set(sku_problems(dataclasses.replace(ZHONGHUA, price_class=6))) == {"price_class"}


def test_non_positive_prices_are_problems() -> None:
    problems = sku_problems(dataclasses.replace(ZHONGHUA, ref_pack_price_fen=0, ref_carton_price_fen=-1))
    assert set(problems) == {"ref_pack_price_fen", "ref_carton_price_fen"}


def test_carton_price_entered_as_pack_price_is_a_problem() -> None:
    problems = sku_problems(dataclasses.replace(ZHONGHUA, ref_carton_price_fen=4500))
    assert "ref_carton_price_fen" in problems and "450.00" in problems["ref_carton_price_fen"]


def test_carton_slightly_cheaper_than_its_packs_is_fine() -> None:
    assert sku_problems(dataclasses.replace(ZHONGHUA, ref_carton_price_fen=43000)) == {}


def test_missing_names_are_problems() -> None:
    assert set(sku_problems(Sku("", "", "", "", 1, 100, 1000))) == {"sku", "name", "brand"}


def test_code_listed_twice_is_a_problem() -> None:
    assert catalogue_problems([ZHONGHUA, ZHONGHUA]) == {"SKU001": {"sku": "listed twice"}}


def test_demo_catalogue_is_sound_and_priced_in_fen() -> None:
    catalogue = demo_catalogue()
    assert len(catalogue) >= 40
    assert catalogue_problems(catalogue) == {}
    assert {s.price_class for s in catalogue} == {1, 2, 3, 4, 5}
    assert any(not s.active for s in catalogue)


T0 = datetime(2025, 6, 1, tzinfo=UTC)


def owner(manager_id: str, effective: datetime, occurred: datetime | None = None) -> CustomerOwner:
    return CustomerOwner("c1", manager_id, "t01", effective, occurred or effective)


def test_first_assignment_is_stored() -> None:
    assert replaces(None, owner("m001", T0))


def test_newer_assignment_replaces_older() -> None:
    assert replaces(owner("m001", T0), owner("m002", T0 + timedelta(days=1)))


def test_older_assignment_does_not_replace_newer() -> None:
    assert not replaces(owner("m002", T0 + timedelta(days=1)), owner("m001", T0))


def test_same_assignment_replayed_changes_nothing() -> None:
    assert not replaces(owner("m001", T0), owner("m001", T0))


def test_same_effective_time_is_decided_by_when_it_occurred() -> None:
    earlier = owner("m001", T0, T0 + timedelta(hours=1))
    later = owner("m002", T0, T0 + timedelta(hours=2))
    assert replaces(earlier, later) and not replaces(later, earlier)
