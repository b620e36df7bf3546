"""Functional and quality terminal analysis (docs/domain.md §1.6.4, §1.6.5): pure rules over the
terminal facts, so the views' figures can be checked by hand without a store.

A terminal's values at a time are its latest terminal resources and terminal information saved by
then, merged (resources first, as FactsStore.terminals merges the current ones). The trend of
§1.6.5 evaluates each month's end state against the current standard, so it is a function of the
dated terminal facts alone: replaying them gives the same trend.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from baifang_common.errors import InvalidArgument
from baifang_common.timeutil import parse_ts

# The designated functions of §1.6.4 and P-002-T5/T6, each a yes/no terminal item (collection's
# default item lists): code, label, item.
FUNCTIONS: tuple[tuple[str, str, str], ...] = (
    ("functional_terminal", "功能终端", "functional_terminal"),
    ("collection_point", "信息采集点", "collection_point"),
    ("brand_cultivation_point", "品牌培育点", "brand_cultivation_point"),
    ("smart_terminal", "智能终端", "smart_terminal"),
    ("scanner", "扫码设备", "pos_device"),
    ("online_ordering", "网上订货", "online_ordering"),
    ("e_settlement", "电子结算", "e_settlement"),
)
# What "active" means in the window: a completed visit, a price & stock collection, a retail scan, an order.
ACTIVITIES = ("visited", "collected", "scanned", "ordered")
MAX_DAYS = 90
# The "三店" tiers (seed 002), in the order the view lists them; any other value is "none".
STORE_TIERS = ("旗舰店", "加盟店", "形象店")
MAX_MONTHS = 24
KINDS = ("resources", "info")


def share_pct(part: int, whole: int) -> float | None:
    """part / whole in percent, one decimal; None for an empty whole."""
    return round(part * 100 / whole, 1) if whole else None


def has_function(values: Mapping[str, Any], item: str) -> bool:
    """A function is present only when its item was recorded as yes."""
    return values.get(item) is True


def tier_of(values: Mapping[str, Any]) -> str | None:
    tier = values.get("store_tier")
    return tier if tier in STORE_TIERS else None


@dataclass(frozen=True)
class Version:
    """One saved version of a terminal kind: its number, the company-local date it was saved, its values."""

    number: int
    saved_on: date
    values: Mapping[str, Any]


def local_day(saved_at: str, timezone: str) -> date:
    """The company-local date of a saved_at time (a naive one is UTC)."""
    moment: datetime = parse_ts(saved_at, "saved_at", naive_zone=UTC)
    return moment.astimezone(ZoneInfo(timezone)).date()


def versions_of(doc: Mapping[str, Any], timezone: str) -> list[Version]:
    """The versions of a history document (FactsStore.terminal_history), oldest first."""
    out = []
    for key, entry in (doc.get("versions") or {}).items():
        try:
            saved_on = local_day(str(entry.get("saved_at", "")), timezone)
        except InvalidArgument:
            continue  # a version stored before saved times were checked: undatable, left out of the trend
        out.append(Version(int(key), saved_on, entry.get("values") or {}))
    return sorted(out, key=lambda v: v.number)


def latest_values(docs: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The current values from the history documents by kind: per kind the highest version, merged."""
    merged: dict[str, Any] = {}
    for kind in KINDS:
        versions = (docs.get(kind) or {}).get("versions") or {}
        if versions:
            merged.update(versions[max(versions)].get("values") or {})
    return merged


def values_on(histories: Mapping[str, Sequence[Version]], last_day: date) -> dict[str, Any]:
    """The terminal's values at the end of `last_day`: per kind the highest version saved by then, merged."""
    merged: dict[str, Any] = {}
    for kind in KINDS:
        saved = [v for v in histories.get(kind, ()) if v.saved_on <= last_day]
        if saved:
            merged.update(saved[-1].values)
    return merged


def numbers_on(histories: Mapping[str, Sequence[Version]], last_day: date) -> tuple[int, ...]:
    """Which version of each kind `values_on` merges (0: none): equal numbers, equal values."""
    return tuple(
        max((v.number for v in histories.get(kind, ()) if v.saved_on <= last_day), default=0) for kind in KINDS
    )


def month_end(month: str) -> date:
    year, number = int(month[:4]), int(month[5:7])
    if number == 12:
        return date(year, 12, 31)
    return date.fromordinal(date(year, number + 1, 1).toordinal() - 1)


def last_days(first: date, days: int) -> list[str]:
    """The `days` dates ending with `first` (ISO), oldest first."""
    return [date.fromordinal(first.toordinal() - n).isoformat() for n in range(days - 1, -1, -1)]


def ranked_gaps(failing: Mapping[str, int], order: Iterable[str]) -> list[str]:
    """Criterion codes by how many terminals fail them (most first), the standard's order breaking ties."""
    codes = list(order)
    return sorted((c for c in codes if failing.get(c)), key=lambda c: (-failing[c], codes.index(c)))
