"""Admin imports from the marketing system: customers, visit plans and the base task library.

Sound rows are written in bulk, the others reported by index. A row equal to the stored record is
`unchanged` and announces nothing; what changed announces the same events as the demo loader
(customer.upserted, customer.assigned, visit_plan.published) under ids derived from the content,
so a repeated or resumed import is deduplicated downstream.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from baifang_common.context import Caller
from baifang_common.events import CustomerAssigned, Event, VisitPlanPublished
from baifang_common.publisher import EventPublisher
from baifang_common.timeutil import iso, now_utc
from planning.adapters.assignment_store import AssignmentStore
from planning.adapters.customer_store import CustomerStore
from planning.adapters.customer_version_store import CustomerVersionStore
from planning.adapters.task_library_store import TaskLibraryStore
from planning.adapters.visit_store import VisitStore
from planning.domain.assignments import Assignment
from planning.domain.customer_file import CustomerVersion, changes_between
from planning.domain.errors import AdminsOnly
from planning.domain.imports import (
    ImportReport,
    PlanRow,
    customer_problem,
    merged_customer,
    plan_row_problem,
    screen,
    task_problem,
)
from planning.domain.model import Customer, LibraryTask, Task, Visit, VisitMethod, VisitStatus
from planning.usecases.events import customer_upserted, digest, event_id

IMPORT_REASON = "import"


@dataclass(frozen=True)
class ImportCustomers:
    caller: Caller
    customers: Sequence[Customer]


@dataclass(frozen=True)
class ImportPlans:
    caller: Caller
    rows: Sequence[PlanRow]


@dataclass(frozen=True)
class ImportTasks:
    caller: Caller
    tasks: Sequence[LibraryTask]


def _ensure_admin(caller: Caller) -> None:
    if not caller.is_admin:
        raise AdminsOnly()


def import_customers(
    cmd: ImportCustomers,
    *,
    customers: CustomerStore,
    assignments: AssignmentStore,
    versions: CustomerVersionStore,
    publisher: EventPublisher,
    now: Callable[[], datetime] = now_utc,
) -> ImportReport:
    """Upsert the sound customers as new versions; a new or changed manager is an audited assignment."""
    _ensure_admin(cmd.caller)
    report, stored, changed = _changed_customers(cmd.customers, customers)
    customers.insert_or_replace([c for c in changed if c.id not in stored])
    customers.upsert_many([c for c in changed if c.id in stored])
    at = now()
    at = at.replace(microsecond=at.microsecond // 1000 * 1000)  # the store keeps milliseconds
    author = cmd.caller.id
    versions.insert_many(
        [CustomerVersion(c.id, c.version, author, at, "import", changes_between(stored.get(c.id), c)) for c in changed]
    )
    moved = [c for c in changed if c.id not in stored or stored[c.id].manager_id != c.manager_id]
    history = [_assignment(c, stored.get(c.id), at, author) for c in moved]
    assignments.insert_many(history)
    out: list[Event] = [customer_upserted(c) for c in changed]
    out += [_assigned(a) for a in history]
    publisher.publish_bulk(out)
    report.applied = len(changed)
    return report


def _changed_customers(
    rows: Sequence[Customer], customers: CustomerStore
) -> tuple[ImportReport, dict[str, Customer], list[Customer]]:
    """The report so far (refused and unchanged rows), the stored records, and the records to write."""
    report = screen(rows, lambda c: c.id, customer_problem)
    owners = customers.ids_by_code([c.code for c in rows])
    for index, c in enumerate(rows):
        if index not in report.rejected and owners.get(c.code, c.id) != c.id:
            report.rejected[index] = ("code", f"already the code of customer {owners[c.code]}")
    stored = customers.get_many(c.id for c in rows)
    changed: list[Customer] = []
    for index, c in enumerate(rows):
        if index in report.rejected:
            continue
        old = stored.get(c.id)
        merged = merged_customer(old, c)
        if merged == old:
            report.unchanged += 1
            continue
        secret = old.qr_secret if old is not None else secrets.token_hex(16)
        changed.append(dataclasses.replace(merged, qr_secret=secret, version=merged.version + 1))
    return report, stored, changed


def _assignment(c: Customer, old: Customer | None, at: datetime, author: str) -> Assignment:
    previous = old.manager_id if old is not None else ""
    assignment_id = "as-" + event_id("assignment", "import", c.id, previous, c.manager_id, digest(iso(at)))
    return Assignment(assignment_id, c.id, c.manager_id, c.team_id, previous, at, author, IMPORT_REASON)


def _assigned(a: Assignment) -> CustomerAssigned:
    return CustomerAssigned(
        event_id=event_id("customer.assigned", a.id),
        customer_id=a.customer_id,
        manager_id=a.manager_id,
        team_id=a.team_id,
        previous_manager_id=a.previous_manager_id,
        effective_from=iso(a.effective_from),
        reason=a.reason,
        assigned_by=a.assigned_by,
    )


def import_plans(
    cmd: ImportPlans,
    *,
    visits: VisitStore,
    customers: CustomerStore,
    library: TaskLibraryStore,
    publisher: EventPublisher,
) -> ImportReport:
    """Planned visits by (manager, day, customer): new ones added, planned ones replaced, started ones kept.

    Every day the import touched is announced again whole (visit_plan.published).
    """
    _ensure_admin(cmd.caller)
    entries = {t.code: t for t in library.list_all()}
    rows = cmd.rows
    report = screen(rows, lambda r: (r.manager_id, r.date, r.customer_id), lambda r: plan_row_problem(r, set(entries)))
    known = customers.get_many(r.customer_id for r in rows)
    existing = visits.find_slots((r.manager_id, r.date, r.customer_id) for r in rows)
    fresh: list[Visit] = []
    replaced: list[tuple[int, Visit, int]] = []
    for index, row in enumerate(rows):
        if index in report.rejected:
            continue
        customer = known.get(row.customer_id)
        if customer is None:
            report.rejected[index] = ("customer_id", "no such customer")
            continue
        old = existing.get((row.manager_id, row.date, row.customer_id))
        visit = _planned(row, old.id if old else _visit_id(row), row.team_id or customer.team_id, entries)
        if old is None:
            fresh.append(visit)
        elif _same_plan(old, visit):
            report.unchanged += 1
        elif old.status != VisitStatus.PLANNED or old.temporary:
            report.rejected[index] = ("row", f"the visit is already {old.status.value}; it is kept")
        else:
            replaced.append((index, visit, old.version))
    visits.insert_many(fresh)
    applied = list(fresh)
    for index, visit, version in replaced:
        if visits.save_if_version(visit, version):
            applied.append(visit)
        else:
            report.rejected[index] = ("row", "the visit changed meanwhile; import again")
    days = sorted({(v.manager_id, v.date) for v in applied})
    publisher.publish_bulk([_plan_published(m, d, visits.for_day(m, d)) for m, d in days])
    report.applied = len(applied)
    return report


def _visit_id(row: PlanRow) -> str:
    return "vi-" + event_id("visit", row.manager_id, row.date, row.customer_id)


def _planned(row: PlanRow, visit_id: str, team_id: str, entries: dict[str, LibraryTask]) -> Visit:
    tasks = tuple(
        Task(f"{visit_id}.t{i}", code, entries[code].name, entries[code].kind, entries[code].method)
        for i, code in enumerate(row.task_codes, start=1)
    )
    return Visit(
        id=visit_id,
        manager_id=row.manager_id,
        team_id=team_id,
        date=row.date,
        customer_id=row.customer_id,
        method=VisitMethod(row.method),
        order=row.order,
        tasks=tasks,
    )


def _same_plan(old: Visit, new: Visit) -> bool:
    def shape(v: Visit) -> tuple[object, ...]:
        return (v.team_id, v.method, v.order, tuple((t.code, t.name, t.kind, t.method) for t in v.tasks))

    return shape(old) == shape(new)


def _plan_published(manager_id: str, day: str, day_visits: Sequence[Visit]) -> VisitPlanPublished:
    listed = [
        {
            "visit_id": v.id,
            "customer_id": v.customer_id,
            "order": v.order,
            "method": v.method.value,
            "task_count": v.tasks_total,
        }
        for v in day_visits
    ]
    return VisitPlanPublished(
        event_id=event_id("visit_plan.published", manager_id, day, digest(listed)),
        manager_id=manager_id,
        team_id=day_visits[0].team_id if day_visits else "",
        date=day,
        visits=listed,
        planned_tasks=sum(v.tasks_total for v in day_visits),
    )


def import_tasks(cmd: ImportTasks, *, library: TaskLibraryStore) -> ImportReport:
    """Base task library entries by code; visits already planned keep the tasks they were given."""
    _ensure_admin(cmd.caller)
    report = screen(cmd.tasks, lambda t: t.code, task_problem)
    stored = {t.code: t for t in library.list_all()}
    changed = []
    for index, t in enumerate(cmd.tasks):
        if index in report.rejected:
            continue
        if stored.get(t.code) == t:
            report.unchanged += 1
        else:
            changed.append(t)
    library.put_many(changed)
    report.applied = len(changed)
    return report
