"""Business-view rules (docs/domain.md §1.5.12, §1.5.13, §1.8): pure functions over read-model rows.

Quantities are cartons (条), money integer fen. Every figure a view shows is computed here, so the
tests can check it against hand-computed numbers without a store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from analytics.domain.errors import CustomerNotYours, RoleNotAllowed
from baifang_common.context import Caller
from baifang_common.timeutil import parse_ts

# R-1.5.9.1-c: only approved increases count towards the effective quantity.
APPROVED = "approved"
# Decided adjustments are final; a later event about a decided one never reverts it to pending.
ADJUSTMENT_STATUS = {
    "supply_adjustment.requested": "pending",
    "supply_adjustment.approved": "approved",
    "supply_adjustment.rejected": "rejected",
    "supply_adjustment.withdrawn": "withdrawn",
}
ADJUSTMENT_RANK = {"pending": "0", "approved": "1", "rejected": "1", "withdrawn": "1"}
# A done follow-up is final (planning only creates and closes them): done outranks open whatever arrives first.
FOLLOW_UP_RANK = {"open": "0", "done": "1"}
# Customer requests move open → in_progress → resolved; every status but resolved is still open (§1.5.12).
ISSUE_CLOSED = "resolved"


@dataclass(frozen=True)
class Owner:
    """The customer's responsible manager (P-004-14) as the events told analytics."""

    customer_id: str
    manager_id: str
    team_id: str


def ensure_can_read(caller: Caller, owner: Owner) -> None:
    """P-004-15: the owning manager, a supervisor of the owner's team, or an admin; others 403."""
    if caller.is_admin:
        return
    if caller.is_manager and owner.manager_id == caller.id:
        return
    if caller.is_supervisor and owner.team_id and owner.team_id == caller.team_id:
        return
    if not (caller.is_manager or caller.is_supervisor):
        raise RoleNotAllowed(role=caller.role)
    raise CustomerNotYours(customer_id=owner.customer_id)


@dataclass(frozen=True)
class Scope:
    """Which managers' rows a list view shows: filters on manager_id / team_id (empty = any)."""

    manager_id: str = ""
    team_id: str = ""


def scope_for(caller: Caller, manager_id: str = "", team_id: str = "") -> Scope:
    """A manager sees themself, a supervisor their team (optionally one manager), an admin anything."""
    if caller.is_manager:
        if manager_id and manager_id != caller.id:
            raise CustomerNotYours(manager_id=manager_id)
        return Scope(manager_id=caller.id)
    if caller.is_supervisor:
        if team_id and team_id != caller.team_id:
            raise CustomerNotYours(team_id=team_id)
        return Scope(manager_id=manager_id, team_id=caller.team_id)
    if caller.is_admin:
        return Scope(manager_id=manager_id, team_id=team_id)
    raise RoleNotAllowed(role=caller.role)


def month_of(day: str) -> str:
    """'2025-06-02' → '2025-06'."""
    return day[:7]


def months_back(last: str, count: int) -> list[str]:
    """The `count` months ending with `last` (YYYY-MM), oldest first; none before 0001-01, which
    dates cannot express (a report asked for January of year 1 covers that month alone)."""
    year, month = int(last[:4]), int(last[5:7])
    out: list[str] = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        if year < 1:
            break
    return out[::-1]


def valid_month(value: str) -> bool:
    try:
        date.fromisoformat(f"{value}-01")
    except ValueError:
        return False
    return len(value) == 7


def sku_totals(days: Iterable[dict[str, Any]]) -> list[list[Any]]:
    """A month's [sku, cartons, amount_fen] over its order days' lines ([[sku, qty, amount_fen], ...]),
    by SKU: one sum for the month written by the recompute and the one read back from its row."""
    totals: dict[str, list[int]] = {}
    for day in days:
        for sku, qty, amount_fen in day["lines"]:
            held = totals.setdefault(sku, [0, 0])
            held[0], held[1] = held[0] + qty, held[1] + amount_fen
    return [[sku, qty, amount] for sku, (qty, amount) in sorted(totals.items())]


def progress_pct(ordered: int, effective: int) -> float | None:
    """Ordered as a percentage of the effective quantity, one decimal; None without an effective quantity."""
    if effective <= 0:
        return None
    return round(ordered * 100 / effective, 1)


def remaining(ordered: int, effective: int) -> int:
    """What the customer may still order this month (never negative: ordering beyond is shown as 100 %+)."""
    return max(effective - ordered, 0)


def value_per_carton(amount_fen: int, cartons: int) -> int | None:
    """单条值: average amount per carton in fen, rounded half up; None when nothing was bought."""
    if cartons <= 0:
        return None
    return (2 * amount_fen + cartons) // (2 * cartons)


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2


def percentile_rank(value: float, population: Iterable[float]) -> float | None:
    """The share of the population (the outlet included) at or below `value`, in percent, one decimal."""
    values = list(population)
    if not values:
        return None
    at_or_below = sum(1 for v in values if v <= value)
    return round(at_or_below * 100 / len(values), 1)


def price_compliant(pack_price_fen: int, ref_pack_price_fen: int) -> bool:
    """A collected pack price complies when it is not above the reference retail price."""
    return ref_pack_price_fen <= 0 or pack_price_fen <= ref_pack_price_fen


def deviation_pct(price_fen: int, ref_fen: int) -> float | None:
    """(price − reference) / reference in percent, one decimal."""
    if ref_fen <= 0:
        return None
    return round((price_fen - ref_fen) * 100 / ref_fen, 1)


def overdue(due_at: str, now: datetime) -> bool:
    """An open item whose due time has passed (planning's is_overdue: due < now); no due time: never."""
    if not due_at:
        return False
    return parse_ts(due_at, "due_at", naive_zone=UTC) < now


def upcoming(scheduled_at: str, duration_min: int, now: datetime) -> bool:
    """An appointment not over yet (P-003-3): its planned end, scheduled time + duration, is after now."""
    return parse_ts(scheduled_at, "scheduled_at", naive_zone=UTC) + timedelta(minutes=duration_min) > now
