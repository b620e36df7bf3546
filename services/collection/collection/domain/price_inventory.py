"""Pure rules of the price & stock collection (docs/domain.md §1.5.8.1, R-1.5.8.1-a…k) and who may touch it.

Money is integer fen throughout: the ±20 % band is checked as |price − ref| × 100 ≤ 20 × ref, so
exactly 20 % passes and no binary float ever decides a refusal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from baifang_common.context import Caller
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

BAND_PERCENT = 20
CHECKED_IN = "checked_in"


def within_band(price_fen: int, reference_fen: int) -> bool:
    """R-1.5.8.1-c: not more than 20 % up or down from its own reference; exactly 20 % is allowed."""
    return abs(price_fen - reference_fen) * 100 <= BAND_PERCENT * reference_fen


def sales(prev_stock: int, purchased: int, stock: int) -> int:
    """R-1.5.8.1-a: sales = previous stock + purchases − current stock (negative allowed the first time, R-b)."""
    return prev_stock + purchased - stock


def stock_allowed(base: StockBase, purchased: int, stock: int) -> bool:
    """R-1.5.8.1-d as decided (R-g): stock ≤ previous + purchases; skipped on a SKU's first collection (R-f)."""
    return base.first or stock <= base.prev_stock + purchased


def _malformed(line: PriceLineInput, purchased: int) -> dict[str, str]:
    """R-1.5.8.1-i: non-positive prices and negative quantities."""
    problems: dict[str, str] = {}
    if line.pack_price_fen <= 0:
        problems["pack_price"] = "must be a positive amount in fen"
    if line.carton_price_fen <= 0:
        problems["carton_price"] = "must be a positive amount in fen"
    if purchased < 0:
        problems["purchased"] = "must not be negative"
    if line.stock < 0:
        problems["stock"] = "must not be negative"
    return problems


def line_problems(line: PriceLineInput, sku: Sku | None, base: StockBase) -> dict[str, str]:
    """Every offending field of one line with the reason; empty when the line is sound."""
    if sku is None:
        return {"sku": "not in the catalogue"}
    purchased = base.ordered if line.purchased is None else line.purchased
    problems = _malformed(line, purchased)
    if "pack_price" not in problems and not within_band(line.pack_price_fen, sku.ref_pack_price_fen):
        problems["pack_price"] = f"more than {BAND_PERCENT}% away from the reference {sku.ref_pack_price_fen} fen"
    if "carton_price" not in problems and not within_band(line.carton_price_fen, sku.ref_carton_price_fen):
        problems["carton_price"] = f"more than {BAND_PERCENT}% away from the reference {sku.ref_carton_price_fen} fen"
    if not problems and not stock_allowed(base, purchased, line.stock):
        problems["stock"] = f"exceeds previous stock {base.prev_stock} + purchases {purchased}"
    return problems


def _collected(line: PriceLineInput, sku: Sku, base: StockBase) -> CollectedLine:
    entered = line.purchased is not None
    purchased = line.purchased if line.purchased is not None else base.ordered
    return CollectedLine(
        sku=sku.sku,
        name=sku.name,
        pack_price_fen=line.pack_price_fen,
        carton_price_fen=line.carton_price_fen,
        ref_pack_price_fen=sku.ref_pack_price_fen,
        ref_carton_price_fen=sku.ref_carton_price_fen,
        prev_stock=base.prev_stock,
        purchased=purchased,
        purchased_source="entered" if entered else "orders",
        stock=line.stock,
        sales=sales(base.prev_stock, purchased, line.stock),
        first=base.first,
    )


def collect(
    lines: Sequence[PriceLineInput], catalogue: Mapping[str, Sku], bases: Mapping[str, StockBase]
) -> tuple[CollectedLine, ...]:
    """All lines checked at once (R-1.5.8.1-i): one refusal naming every failing line and field."""
    if not lines:
        raise EmptyCollection(field="lines")
    failures: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, line in enumerate(lines):
        problems = line_problems(line, catalogue.get(line.sku), bases.get(line.sku, StockBase()))
        if line.sku in seen:
            problems["sku"] = "listed twice"
        seen.add(line.sku)
        failures += [{"index": index, "sku": line.sku, "field": f, "reason": r} for f, r in problems.items()]
    if failures:
        raise InvalidPriceInventory(lines=failures)
    return tuple(_collected(line, catalogue[line.sku], bases.get(line.sku, StockBase())) for line in lines)


def latest_stock(history: Iterable[PriceInventory], exclude_visit: str = "") -> dict[str, StockBase]:
    """R-1.5.8.1-e: per SKU, the stock of the customer's last collection of that SKU (newest first given).

    Superseded submissions and the visit being collected again are not "previous" (R-1.5.8.1-k).
    """
    bases: dict[str, StockBase] = {}
    for collection in history:
        if collection.superseded or collection.visit_id == exclude_visit:
            continue
        for line in collection.lines:
            bases.setdefault(line.sku, StockBase(prev_stock=line.stock, first=False, since=collection.date))
    return bases


def ensure_can_collect(caller: Caller, visit: VisitRef) -> None:
    """Only the visit's own manager collects (P-004-15), and only while checked in (§3.5 item 7)."""
    if not caller.is_manager or caller.id != visit.manager_id:
        raise Forbidden(visit_id=visit.visit_id)
    if visit.status != CHECKED_IN:
        raise NotCheckedIn(visit_id=visit.visit_id, status=visit.status)


def ensure_can_read(caller: Caller, owner: CustomerOwner) -> None:
    """P-004-15: the customer's manager, a supervisor of that team, an admin; others 403."""
    if caller.is_admin or caller.is_service or caller.id == owner.manager_id:
        return
    if caller.is_supervisor and caller.team_id and caller.team_id == owner.team_id:
        return
    raise Forbidden(customer_id=owner.customer_id)
