"""The catalogue import file (`POST /admin/import/skus`): JSON lines or CSV into catalogue entries.

Columns / keys: sku, name, brand, short_code, price_class, ref_pack_price, ref_carton_price
(integer fen), packs_per_carton (default 10), active (default true). A row that cannot be read
is reported with its 1-based line number in the file and is not sent to the service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from baifang.collection.v1 import collection_pb2
from gateway.imports import flag, integer, read_rows

TEXT = ("sku", "name", "brand", "short_code")
INTEGERS = {"price_class": None, "ref_pack_price": None, "ref_carton_price": None, "packs_per_carton": 10}


@dataclass
class ParsedFile:
    """Readable rows (with their line numbers) and the problems of the rest."""

    entries: list[collection_pb2.Sku] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


def _entry(record: dict[str, Any]) -> tuple[collection_pb2.Sku | None, dict[str, str]]:
    problems: dict[str, str] = {}
    values: dict[str, Any] = {name: str(record.get(name) or "").strip() for name in TEXT}
    for name, default in INTEGERS.items():
        raw = record.get(name)
        if raw is None or raw == "":
            if default is None:
                problems[name] = "required"
            values[name] = default
            continue
        try:
            values[name] = integer(raw)
        except ValueError as exc:
            problems[name] = str(exc)
    try:
        values["active"] = flag(record.get("active", True))
    except ValueError as exc:
        problems["active"] = str(exc)
    if problems:
        return None, problems
    entry = collection_pb2.Sku(
        sku=values["sku"],
        name=values["name"],
        brand=values["brand"],
        short_code=values["short_code"],
        price_class=values["price_class"],
        ref_pack_price_fen=values["ref_pack_price"],
        ref_carton_price_fen=values["ref_carton_price"],
        packs_per_carton=values["packs_per_carton"],
        active=values["active"],
    )
    return entry, {}


def parse(body: bytes, content_type: str) -> ParsedFile:
    """CSV when the content type says so, JSON lines otherwise."""
    parsed = ParsedFile()
    for number, record in read_rows(body, content_type):
        if record is None:
            parsed.rejected.append({"row": number, "sku": "", "field": "row", "reason": "not a JSON object"})
            continue
        entry, problems = _entry(record)
        if entry is None:
            sku = str(record.get("sku") or "")
            parsed.rejected += [{"row": number, "sku": sku, "field": f, "reason": r} for f, r in problems.items()]
            continue
        parsed.entries.append(entry)
        parsed.lines.append(number)
    return parsed
