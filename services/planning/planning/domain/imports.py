"""Rows imported from the marketing system: what makes each one sound, and when it changes nothing.

An import applies every sound row and reports the others by index ({index: (field, reason)}); a
row equal to what is stored is `unchanged`, so importing the same file twice applies nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from planning.domain.model import Customer, LibraryTask, VisitMethod
from planning.domain.rules import BASIC_TASK_KIND

COLLECTION_KIND_PREFIX = "collection:"
# The collection forms a library task may open (collection's task kinds).
COLLECTION_FORMS = frozenset(
    {
        "price_inventory",
        "agreed_quantity",
        "terminal_resources",
        "terminal_info",
        "shelving",
        "promotion",
        "special_use",
        "supply_adjustment",
    }
)
MAX_TEXT = 200
MAX_TASKS_PER_VISIT = 30

Problem = tuple[str, str]
Row = TypeVar("Row")


@dataclass(frozen=True)
class PlanRow:
    """One planned visit of a manager's day, as the marketing system sends it."""

    manager_id: str
    team_id: str
    date: str
    customer_id: str
    order: int
    method: str
    task_codes: tuple[str, ...]


@dataclass
class ImportReport:
    """What an import did: rows applied, rows equal to the stored record, refused rows by index."""

    applied: int = 0
    unchanged: int = 0
    rejected: dict[int, Problem] = field(default_factory=dict)


def first_problem(checks: Sequence[tuple[bool, str, str]]) -> Problem | None:
    """The first failed check as (field, reason); None when every check holds."""
    return next(((name, reason) for ok, name, reason in checks if not ok), None)


def screen(rows: Sequence[Row], key: Callable[[Row], object], problem: Callable[[Row], Problem | None]) -> ImportReport:
    """Each row's own problem, and a key repeated in the file refused after its first row."""
    report = ImportReport()
    seen: set[object] = set()
    for index, row in enumerate(rows):
        found = problem(row)
        if found is None and key(row) in seen:
            found = ("row", "repeats an earlier row of the file")
        if found is not None:
            report.rejected[index] = found
        seen.add(key(row))
    return report


def customer_problem(c: Customer) -> Problem | None:
    return first_problem(
        [
            (bool(c.id) and len(c.id) <= 64, "id", "required, at most 64 characters"),
            (bool(c.code) and len(c.code) <= 64, "code", "required, at most 64 characters"),
            (bool(c.name) and len(c.name) <= MAX_TEXT, "name", f"required, at most {MAX_TEXT} characters"),
            (bool(c.manager_id), "manager_id", "required"),
            (-90 <= c.lat <= 90 and -180 <= c.lon <= 180, "location", "latitude or longitude out of range"),
            (0 <= c.star <= 5, "star", "must be 0 to 5"),
        ]
    )


def merged_customer(stored: Customer | None, incoming: Customer) -> Customer:
    """The incoming record over the stored one: planning keeps its QR secret, status and version, and
    the file's route and area when the row leaves them empty."""
    if stored is None:
        return incoming
    return dataclasses.replace(
        incoming,
        qr_secret=stored.qr_secret,
        status=stored.status,
        version=stored.version,
        route_id=incoming.route_id or stored.route_id,
        area_id=incoming.area_id or stored.area_id,
    )


def plan_row_problem(row: PlanRow, library: set[str]) -> Problem | None:
    return first_problem(
        [
            (bool(row.manager_id), "manager_id", "required"),
            (bool(row.customer_id), "customer_id", "required"),
            (_is_day(row.date), "date", "must be YYYY-MM-DD"),
            (row.method in {m.value for m in VisitMethod}, "method", "must be on_site or phone"),
            (row.order >= 0, "order", "must not be negative"),
            (0 < len(row.task_codes) <= MAX_TASKS_PER_VISIT, "task_codes", f"1 to {MAX_TASKS_PER_VISIT} codes"),
            (all(code in library for code in row.task_codes), "task_codes", "not in the base task library"),
        ]
    )


def task_problem(t: LibraryTask) -> Problem | None:
    form = t.kind.removeprefix(COLLECTION_KIND_PREFIX)
    known_kind = t.kind == BASIC_TASK_KIND or (t.kind.startswith(COLLECTION_KIND_PREFIX) and form in COLLECTION_FORMS)
    return first_problem(
        [
            (bool(t.code) and len(t.code) <= 32, "code", "required, at most 32 characters"),
            (bool(t.name) and len(t.name) <= MAX_TEXT, "name", f"required, at most {MAX_TEXT} characters"),
            (known_kind, "kind", "basic or collection:<form>"),
            (len(t.method) <= 2000, "method", "at most 2000 characters"),
        ]
    )


def _is_day(text: str) -> bool:
    try:
        return date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False
