"""The pure price & stock rules (docs/domain.md §1.5.8.1), one test per rule id."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from baifang_common.context import Caller
from collection.domain import price_inventory as rules
from collection.domain.errors import EmptyCollection, Forbidden, InvalidPriceInventory, NotCheckedIn
from collection.domain.model import (
    CollectedLine,
    CustomerOwner,
    PriceInventory,
    PriceLineInput,
    Sku,
    StockBase,
    VisitRef,
)

ZHONGHUA = Sku("SKU001", "中华(硬)", "中华", "ZHY", 1, 4500, 45000)
HONGMEI = Sku("SKU041", "红梅(软黄)", "红梅", "HMRH", 5, 500, 4800)  # carton not 10 × pack
CATALOGUE = {s.sku: s for s in (ZHONGHUA, HONGMEI)}
SEEN = StockBase(prev_stock=10, first=False)


def line(sku: str = "SKU001", pack: int = 4500, carton: int = 45000, stock: int = 5, purchased: int | None = 3):
    return PriceLineInput(sku=sku, pack_price_fen=pack, carton_price_fen=carton, stock=stock, purchased=purchased)


def failures(lines, bases=None) -> list[tuple[int, str]]:
    with pytest.raises(InvalidPriceInventory) as raised:
        rules.collect(lines, CATALOGUE, bases or {})
    return [(f["index"], f["field"]) for f in raised.value.details["lines"]]


def test_R_1_5_8_1_a_sales_are_previous_stock_plus_purchases_minus_stock() -> None:
    (collected,) = rules.collect([line(stock=4, purchased=6)], CATALOGUE, {"SKU001": SEEN})
    assert collected.sales == 10 + 6 - 4
    assert (collected.prev_stock, collected.purchased, collected.stock) == (10, 6, 4)


def test_R_1_5_8_1_b_first_collection_starts_from_zero_and_may_show_negative_sales() -> None:
    (collected,) = rules.collect([line(stock=30, purchased=5)], CATALOGUE, {})
    assert collected.first and collected.prev_stock == 0
    assert collected.sales == -25


def test_R_1_5_8_1_c_each_price_stays_within_20_percent_of_its_own_reference() -> None:
    exactly = [line(pack=5400, carton=36000), line("SKU041", pack=400, carton=5760)]  # +20 %, −20 %, −20 %, +20 %
    assert len(rules.collect(exactly, CATALOGUE, {})) == 2
    assert failures([line(pack=5401)]) == [(0, "pack_price")]
    assert failures([line(carton=35999)]) == [(0, "carton_price")]
    # the carton is checked against its own reference (4800), not 10 × the pack reference (5000)
    assert rules.collect([line("SKU041", pack=500, carton=3900)], CATALOGUE, {})
    assert failures([line("SKU041", pack=500, carton=5900)]) == [(0, "carton_price")]
    assert rules.within_band(3840, 4800) and not rules.within_band(3839, 4800)


def test_R_1_5_8_1_d_stock_may_not_exceed_previous_stock_plus_purchases() -> None:
    assert failures([line(stock=14, purchased=3)], {"SKU001": SEEN}) == [(0, "stock")]


def test_R_1_5_8_1_e_previous_is_the_last_collection_of_the_same_sku() -> None:
    def submitted(cid: str, visit: str, stocks: dict[str, int], superseded: bool = False) -> PriceInventory:
        lines = tuple(
            CollectedLine(sku, sku, 1, 1, 1, 1, 0, 0, "entered", stock, 0, False) for sku, stock in stocks.items()
        )
        at = datetime(2026, 11, 1, tzinfo=UTC)
        return PriceInventory(cid, visit, "c1", "m001", "t01", "2026-11-01", at, "", cid, lines, superseded)

    newest_first = [
        submitted("c4", "v4", {"SKU001": 99}),
        submitted("c3", "v3", {"SKU001": 1}, superseded=True),
        submitted("c2", "v2", {"SKU041": 7}),
        submitted("c1", "v1", {"SKU001": 2, "SKU041": 8}),
    ]
    bases = rules.latest_stock(newest_first, exclude_visit="v4")
    day = "2026-11-01"
    assert bases == {"SKU001": StockBase(2, first=False, since=day), "SKU041": StockBase(7, first=False, since=day)}
    assert "SKU999" not in bases  # never collected here: previous stock 0, first collection


def test_R_1_5_8_1_f_the_stock_rule_is_skipped_on_the_first_collection_of_a_sku() -> None:
    (collected,) = rules.collect([line(stock=500, purchased=0)], CATALOGUE, {})
    assert collected.first and collected.sales == -500


def test_R_1_5_8_1_g_stock_equal_to_previous_plus_purchases_is_allowed() -> None:
    (collected,) = rules.collect([line(stock=13, purchased=3)], CATALOGUE, {"SKU001": SEEN})
    assert collected.sales == 0


def test_R_1_5_8_1_h_purchases_come_from_orders_unless_entered_and_the_source_is_kept() -> None:
    base = StockBase(prev_stock=10, first=False, ordered=7)
    (entered,) = rules.collect([line(purchased=2, stock=5)], CATALOGUE, {"SKU001": base})
    (prefilled,) = rules.collect([line(purchased=None, stock=5)], CATALOGUE, {"SKU001": base})
    assert (entered.purchased, entered.purchased_source, entered.sales) == (2, "entered", 7)
    assert (prefilled.purchased, prefilled.purchased_source, prefilled.sales) == (7, "orders", 12)


def test_R_1_5_8_1_i_every_failing_line_and_field_is_reported_at_once() -> None:
    lines = [
        line(pack=0),
        line("SKU041", pack=500, carton=4800, stock=-1, purchased=-2),
        line("NOPE"),
        line(),
        line(),
    ]
    assert failures(lines) == [
        (0, "pack_price"),
        (1, "purchased"),
        (1, "stock"),
        (2, "sku"),
        (3, "sku"),  # SKU001 again (line 0)
        (4, "sku"),
    ]
    with pytest.raises(EmptyCollection):
        rules.collect([], CATALOGUE, {})


def test_R_1_5_8_1_j_references_are_both_catalogue_prices() -> None:
    (collected,) = rules.collect([line("SKU041", pack=500, carton=4800)], CATALOGUE, {})
    assert (collected.ref_pack_price_fen, collected.ref_carton_price_fen) == (500, 4800)


VISIT = VisitRef("v1", "m001", "t01", "c1", "2026-11-28", "checked_in")


def test_collection_needs_the_visits_own_manager_and_a_check_in() -> None:
    rules.ensure_can_collect(Caller("m001", "manager", "t01"), VISIT)
    with pytest.raises(Forbidden):
        rules.ensure_can_collect(Caller("m002", "manager", "t01"), VISIT)
    with pytest.raises(Forbidden):
        rules.ensure_can_collect(Caller("s01", "supervisor", "t01"), VISIT)
    for status in ("planned", "completed", "missed"):
        with pytest.raises(NotCheckedIn):
            rules.ensure_can_collect(Caller("m001", "manager", "t01"), VisitRef("v1", "m001", "t01", "c1", "", status))


def test_P_004_15_the_manager_their_supervisor_and_admins_read_others_do_not() -> None:
    owner = CustomerOwner("c1", "m001", "t01", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
    for reader in (Caller("m001", "manager", "t01"), Caller("s01", "supervisor", "t01"), Caller("a", "admin")):
        rules.ensure_can_read(reader, owner)
    for stranger in (Caller("m002", "manager", "t01"), Caller("s02", "supervisor", "t02")):
        with pytest.raises(Forbidden):
            rules.ensure_can_read(stranger, owner)
