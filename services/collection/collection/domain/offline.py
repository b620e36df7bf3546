"""The collection ops of an offline batch (POST /sync, docs/domain.md §1.3.3): each payload read into the
fields of the online operation it replays, refused field by field as the online route would (400).

Payloads arrive as protobuf Struct, where every number is a double: a whole number is taken as the
integer it is, anything else (45.5 fen, 1e300) is refused, so money stays integer fen.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from baifang_common.errors import InvalidArgument
from collection.domain.model import AgreedLine, PriceLineInput

MAX_ID = 128
MAX_LINES = 500
MAX_PHOTOS = 20
LIMIT = 10**12


class OfflineType(StrEnum):
    PRICE_INVENTORY = "price_inventory"
    AGREED_QUANTITY = "agreed_quantity"
    TERMINAL_INFO = "terminal_info"


@dataclass(frozen=True)
class PriceInventoryFields:
    visit_id: str
    lines: list[PriceLineInput]
    photo_ids: list[str]


@dataclass(frozen=True)
class AgreedQuantityFields:
    customer_id: str
    month: str
    lines: list[AgreedLine]


@dataclass(frozen=True)
class TerminalInfoFields:
    customer_id: str
    values: dict[str, Any]
    visit_id: str
    photo_ids: list[str]


def _bad(name: str, problem: str) -> InvalidArgument:
    return InvalidArgument(f"payload.{name} {problem}", field=f"payload.{name}")


def _text(payload: Mapping[str, Any], name: str, *, required: bool = True, max_len: int = MAX_ID) -> str:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise _bad(name, "is required")
        return ""
    if not isinstance(value, str) or len(value) > max_len:
        raise _bad(name, f"must be a string of at most {max_len} characters")
    return value


def _whole(payload: Mapping[str, Any], name: str, where: str, *, required: bool = True) -> int | None:
    value = payload.get(name)
    if value is None:
        if required:
            raise _bad(f"{where}{name}", "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(f"{where}{name}", "must be an integer")
    if value != int(value) or abs(value) > LIMIT:
        raise _bad(f"{where}{name}", "must be an integer (money in fen)")
    return int(value)


def _list(payload: Mapping[str, Any], name: str, max_len: int, *, required: bool = True) -> list[Any]:
    value = payload.get(name)
    if value is None and not required:
        return []
    if not isinstance(value, list) or (not value and required) or len(value) > max_len:
        raise _bad(name, f"must be a list of 1 to {max_len} items")
    return value


def _objects(payload: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    items = _list(payload, name, MAX_LINES)
    if not all(isinstance(item, dict) for item in items):
        raise _bad(name, "must hold objects")
    return items


def _photo_ids(payload: Mapping[str, Any]) -> list[str]:
    ids = _list(payload, "photo_ids", MAX_PHOTOS, required=False)
    if not all(isinstance(i, str) and 0 < len(i) <= MAX_ID for i in ids):
        raise _bad("photo_ids", "must hold photo ids")
    return ids


def price_inventory_fields(payload: Mapping[str, Any]) -> PriceInventoryFields:
    """As POST /visits/{visit_id}/price-inventory, with the visit id in the payload."""
    lines = []
    for index, line in enumerate(_objects(payload, "lines")):
        where = f"lines.{index}."
        lines.append(
            PriceLineInput(
                sku=_text(line, "sku", max_len=64),
                pack_price_fen=_whole(line, "pack_price", where) or 0,
                carton_price_fen=_whole(line, "carton_price", where) or 0,
                stock=_whole(line, "stock", where) or 0,
                purchased=_whole(line, "purchased", where, required=False),
            )
        )
    return PriceInventoryFields(_text(payload, "visit_id"), lines, _photo_ids(payload))


def agreed_quantity_fields(payload: Mapping[str, Any]) -> AgreedQuantityFields:
    """As POST /customers/{customer_id}/agreed-quantities, with the customer id in the payload."""
    lines = [
        AgreedLine(sku=_text(line, "sku", max_len=64), qty=_whole(line, "qty", f"lines.{index}.") or 0)
        for index, line in enumerate(_objects(payload, "lines"))
    ]
    return AgreedQuantityFields(_text(payload, "customer_id"), _text(payload, "month", required=False), lines)


def terminal_info_fields(payload: Mapping[str, Any]) -> TerminalInfoFields:
    """As POST /customers/{customer_id}/terminal-info, with the customer id in the payload."""
    values = payload.get("values")
    if not isinstance(values, dict) or len(values) > 200:
        raise _bad("values", "must be an object of at most 200 items")
    return TerminalInfoFields(
        customer_id=_text(payload, "customer_id"),
        values={k: _whole_if_integral(v) for k, v in values.items()},
        visit_id=_text(payload, "visit_id", required=False),
        photo_ids=_photo_ids(payload),
    )


def _whole_if_integral(value: Any) -> Any:
    """Struct made every number a double: 3.0 goes back to 3 (counts); 2.5 stays."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value
