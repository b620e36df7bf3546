"""Parsing and formatting of client times; the company time zone decides what "today" is."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from baifang_common.errors import InvalidArgument


def parse_ts(value: str, field: str = "client_ts") -> datetime:
    """An ISO 8601 time with offset; a naive or malformed time is a 400, never a guess."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError) as exc:
        raise InvalidArgument(f"{field} is not an ISO 8601 time", field=field) from exc
    if parsed.tzinfo is None:
        raise InvalidArgument(f"{field} needs a UTC offset", field=field)
    return parsed


def parse_date(value: str, field: str = "date") -> date:
    try:
        return date.fromisoformat(value)
    except (ValueError, TypeError) as exc:
        raise InvalidArgument(f"{field} is not a YYYY-MM-DD date", field=field) from exc


def now_utc() -> datetime:
    return datetime.now(UTC)


def local_date(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def today(timezone: str) -> date:
    return local_date(now_utc(), timezone)


def iso(moment: datetime) -> str:
    return moment.isoformat()
