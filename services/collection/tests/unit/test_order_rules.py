"""The pure rules of imported orders and of the purchases they prefill (R-1.5.8.1-h)."""

from __future__ import annotations

from collection.domain import orders as rules
from collection.domain.model import OrderLine, StockBase

CATALOGUE = {"SKU001", "SKU002"}


def line(order_id: str = "o1", line_no: int = 1, sku: str = "SKU001", qty: int = 2, day: str = "2026-11-20"):
    return OrderLine(order_id, line_no, "cu1", sku, qty, qty * 45000, day)


def test_a_sound_line_has_no_problems_and_each_bad_field_is_named() -> None:
    assert rules.line_problems(line(), CATALOGUE) == {}
    bad = OrderLine("", 0, "", "NOPE", 0, -1, "2026-2-1")
    assert set(rules.line_problems(bad, CATALOGUE)) == {
        "order_id",
        "line_no",
        "customer",
        "sku",
        "quantity",
        "amount",
        "order_date",
    }


def test_a_key_given_twice_refuses_the_repeat_only() -> None:
    assert rules.import_problems([line(), line(qty=3), line(line_no=2)], CATALOGUE) == {
        1: {"line_no": "order o1 line 1 given twice"}
    }


def test_chunks_are_cut_in_key_order() -> None:
    lines = [line("o2"), line("o1", 2), line("o1", 1)]
    assert [[(x.order_id, x.line_no) for x in c] for c in rules.chunks(lines, 2)] == [
        [("o1", 1), ("o1", 2)],
        [("o2", 1)],
    ]


def test_R_1_5_8_1_h_purchases_are_the_orders_after_the_last_collection_up_to_the_day() -> None:
    bases = {"SKU001": StockBase(prev_stock=5, first=False, since="2026-11-10")}
    orders = [
        line("a", day="2026-11-10", qty=1),  # the collection's own day: counted there
        line("b", day="2026-11-11", qty=2),
        line("c", day="2026-11-25", qty=4),
        line("d", day="2026-11-26", qty=8),  # after the day in question
        line("e", sku="SKU002", day="2026-01-01", qty=16),  # never collected: every order counts
    ]
    result = rules.with_purchases(bases, orders, "2026-11-25")
    assert result["SKU001"] == StockBase(prev_stock=5, first=False, since="2026-11-10", ordered=6)
    assert result["SKU002"] == StockBase(ordered=16)
