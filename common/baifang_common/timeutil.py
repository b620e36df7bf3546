"""Parsing and formatting of times; the company time zone decides what "today" is.

One parser for every ISO 8601 time the services read (client input, event fields, stored
text) and one fixed-width UTC key for the store's string `$min`/`$max`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from baifang_common.errors import InvalidArgument


def parse_ts(value: str, field: str = "client_ts", *, naive_zone: tzinfo | None = None) -> datetime:
    """An ISO 8601 time with offset or `Z`; a malformed time is a 400, never a guess.

    A naive time is a 400 too, unless its source has a convention for it: `naive_zone`
    (UTC for times our own producers and the store wrote).
    """
    try:
        parsed = datetime.fromisoformat(value)
    except (ValueError, TypeError) as exc:
        raise InvalidArgument(f"{field} is not an ISO 8601 time", field=field) from exc
    if parsed.tzinfo is None:
        if naive_zone is None:
            raise InvalidArgument(f"{field} needs a UTC offset", field=field)
        parsed = parsed.replace(tzinfo=naive_zone)
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


def utc_key(moment: datetime) -> str:
    """Fixed-width UTC ISO text (microseconds, `+00:00`): sorts like the time it names, so the
    store can keep the earliest or latest with a string `$min`/`$max`."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
