"""Query parameters shared by several routes."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query

from baifang_common.errors import InvalidArgument
from baifang_common.timeutil import parse_date, today
from gateway.errors import ApiError

MIN_YEAR, MAX_YEAR = 2000, 2100

# A YYYY-MM-DD date; empty or absent means today in the company time zone.
DateQuery = Annotated[str, Query(max_length=10, json_schema_extra={"format": "date"})]


def resolve_date(value: str | None, timezone: str, field: str = "date") -> str:
    """A YYYY-MM-DD date, today in the company time zone when absent; 400 when malformed."""
    if value is None or value == "":
        return today(timezone).isoformat()
    try:
        parsed: date = parse_date(value, field)
    except InvalidArgument as exc:
        raise ApiError(400, "invalid_request", exc.message, {field: "not a YYYY-MM-DD date"}) from exc
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise ApiError(400, "invalid_request", f"{field} out of range", {field: "year out of range"})
    return parsed.isoformat()
