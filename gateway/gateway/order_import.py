"""The order import file (`POST /admin/import/orders`): JSON lines or CSV into order lines (docs/domain.md §1.8).

Columns / keys: order_id, line_no, customer_id (or customer_code), sku, quantity (whole cartons),
amount_fen (integer fen) or amount (yuan as a string such as "1234.50", converted exactly: at most
two decimals, never through a binary float), order_date (YYYY-MM-DD). A row that cannot be read is
reported with its 1-based line number and is not sent to the service. Rows are read as every
import reads them (`gateway.imports.read_rows`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from baifang.collection.v1 import collection_pb2
from gateway.imports import integer, read_rows

YUAN = re.compile(r"^-?\d{1,12}(\.\d{1,2})?$")


@dataclass
class ParsedOrders:
    """Readable rows (with their line numbers) and the problems of the rest."""

    lines: list[collection_pb2.OrderLine] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


def fen(record: dict[str, Any]) -> int:
    """`amount_fen` as an integer, else `amount` in yuan (a string or a whole number) converted exactly."""
    if record.get("amount_fen") not in (None, ""):
        return integer(record["amount_fen"])
    raw = record.get("amount")
    if raw is None or raw == "":
        raise ValueError("required (amount_fen or amount)")
    if isinstance(raw, int) and not isinstance(raw, bool):
        return integer(raw * 100)
    if not isinstance(raw, str) or not YUAN.match(raw.strip()):
        raise ValueError("must be yuan with at most two decimals, as a string")
    return int(Decimal(raw.strip()) * 100)


def _text(record: dict[str, Any], name: str) -> str:
    value = record.get(name)
    return "" if value is None else str(value).strip()


def _line(record: dict[str, Any]) -> tuple[collection_pb2.OrderLine | None, dict[str, str]]:
    problems: dict[str, str] = {}
    numbers: dict[str, int] = {}
    for name in ("line_no", "quantity"):
        try:
            numbers[name] = integer(record.get(name))
        except ValueError as exc:
            problems[name] = "required" if record.get(name) in (None, "") else str(exc)
    try:
        numbers["amount_fen"] = fen(record)
    except ValueError as exc:
        problems["amount"] = str(exc)
    if abs(numbers.get("line_no", 0)) >= 2**31:
        problems["line_no"] = "out of range"
    if not (_text(record, "customer_id") or _text(record, "customer_code")):
        problems["customer"] = "required (customer_id or customer_code)"
    if problems:
        return None, problems
    return (
        collection_pb2.OrderLine(
            order_id=_text(record, "order_id"),
            line_no=numbers["line_no"],
            customer_id=_text(record, "customer_id"),
            customer_code=_text(record, "customer_code"),
            sku=_text(record, "sku"),
            quantity=numbers["quantity"],
            amount_fen=numbers["amount_fen"],
            order_date=_text(record, "order_date"),
        ),
        {},
    )


def parse(body: bytes, content_type: str) -> ParsedOrders:
    """The order lines of the file, and the rows that cannot be read."""
    parsed = ParsedOrders()
    for number, record in read_rows(body, content_type):
        if record is None:
            parsed.rejected.append({"row": number, "field": "row", "reason": "not a JSON object"})
            continue
        line, problems = _line(record)
        if line is None:
            parsed.rejected += [{"row": number, "field": f, "reason": r} for f, r in problems.items()]
            continue
        parsed.lines.append(line)
        parsed.rows.append(number)
    return parsed
