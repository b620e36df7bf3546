"""Pure rules of imported orders (§1.8) and of the purchases they prefill (R-1.5.8.1-h).

An order line is cartons of one SKU bought by one outlet on a day. Purchases "since the last
collection" of a SKU are the cartons ordered after the day of the outlet's last collection of that
SKU, up to the day in question; a SKU never collected there takes every order up to that day.
An order dated the day of a collection counts in that collection, not the next one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date

from collection.domain.model import OrderLine, StockBase

MAX_ID = 64
MAX_QUANTITY = 100_000
MAX_AMOUNT_FEN = 10**12


def _is_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def line_problems(line: OrderLine, catalogue: set[str]) -> dict[str, str]:
    """Offending fields of one order line with the reason; empty when the line is sound."""
    problems: dict[str, str] = {}
    if not line.order_id or len(line.order_id) > MAX_ID:
        problems["order_id"] = f"required, at most {MAX_ID} characters"
    if line.line_no < 1:
        problems["line_no"] = "must be a positive integer"
    if not line.customer_id or len(line.customer_id) > MAX_ID:
        problems["customer"] = f"required, at most {MAX_ID} characters"
    if line.sku not in catalogue:
        problems["sku"] = "not in the catalogue"
    if not 0 < line.quantity <= MAX_QUANTITY:
        problems["quantity"] = f"must be a whole number of cartons from 1 to {MAX_QUANTITY}"
    if not 0 <= line.amount_fen <= MAX_AMOUNT_FEN:
        problems["amount"] = "must be a non-negative amount"
    if not _is_day(line.order_date):
        problems["order_date"] = "must be a date YYYY-MM-DD"
    return problems


def import_problems(lines: Sequence[OrderLine], catalogue: set[str]) -> dict[int, dict[str, str]]:
    """Per index, the problems of each refused line; a key given twice in one import refuses the repeat."""
    rejected: dict[int, dict[str, str]] = {}
    seen: set[str] = set()
    for index, line in enumerate(lines):
        problems = line_problems(line, catalogue)
        if line.key in seen:
            problems["line_no"] = f"order {line.order_id} line {line.line_no} given twice"
        seen.add(line.key)
        if problems:
            rejected[index] = problems
    return rejected


def chunks(lines: Sequence[OrderLine], size: int) -> Iterable[Sequence[OrderLine]]:
    """The lines in key order, `size` at a time: the same import cuts the same chunks."""
    ordered = sorted(lines, key=lambda line: (line.order_id, line.line_no))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def with_purchases(bases: Mapping[str, StockBase], orders: Iterable[OrderLine], until: str) -> dict[str, StockBase]:
    """R-1.5.8.1-h: each SKU's base with the cartons ordered after its last collection, up to `until`."""
    ordered: dict[str, int] = {}
    for line in orders:
        since = bases.get(line.sku, StockBase()).since
        if since < line.order_date <= until:
            ordered[line.sku] = ordered.get(line.sku, 0) + line.quantity
    result = dict(bases)
    for sku, cartons in ordered.items():
        result[sku] = replace(result.get(sku, StockBase()), ordered=cartons)
    return result
