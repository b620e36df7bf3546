"""The catalogue import file (`POST /admin/import/skus`): JSON lines or CSV into catalogue entries.

Columns / keys: sku, name, brand, short_code, price_class, ref_pack_price, ref_carton_price
(integer fen), packs_per_carton (default 10), active (default true). A row that cannot be read
is reported with its 1-based line number in the file and is not sent to the service.

`records` and `integer` are the reading every import file shares (the order import uses them too).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from baifang.collection.v1 import collection_pb2

TEXT = ("sku", "name", "brand", "short_code")
INTEGERS = {"price_class": None, "ref_pack_price": None, "ref_carton_price": None, "packs_per_carton": 10}
TRUE = {"1", "true", "yes", "y", "t"}
FALSE = {"0", "false", "no", "n", "f"}


@dataclass
class ParsedFile:
    """Readable rows (with their line numbers) and the problems of the rest."""

    entries: list[collection_pb2.Sku] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


def integer(value: Any) -> int:
    """Integers only: a float (even 45.0) or a decimal string is refused, money being in fen."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be an integer")
    number = value
    if abs(number) > 10**12:
        raise ValueError("out of range")
    return number


def _active(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in TRUE or text == "":
        return True
    if text in FALSE:
        return False
    raise ValueError("must be true or false")


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
        values["active"] = _active(record.get("active", True))
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


def _json_lines(text: str) -> Iterator[tuple[int, dict[str, Any] | None]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            yield number, None
            continue
        yield number, record if isinstance(record, dict) else None


def _csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any] | None]]:
    reader = csv.DictReader(io.StringIO(text))
    for record in reader:
        if any((v or "").strip() for v in record.values() if isinstance(v, str)):
            yield reader.line_num, {k.strip(): v for k, v in record.items() if isinstance(k, str)}


def records(body: bytes, content_type: str) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """(line number, record) per non-empty row: CSV when the content type says so, JSON lines otherwise.

    None stands for a row that is not an object; a body that is not UTF-8 raises UnicodeDecodeError.
    """
    text = body.decode("utf-8-sig")
    return _csv_rows(text) if "csv" in content_type.casefold() else _json_lines(text)


def parse(body: bytes, content_type: str) -> ParsedFile:
    """The catalogue entries of the file, and the rows that cannot be read."""
    parsed = ParsedFile()
    for number, record in records(body, content_type):
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
