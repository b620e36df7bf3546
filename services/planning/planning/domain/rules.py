"""The visit state machine (docs/domain.md §3.4), ownership and the plan counts (§1.4, §3.5.3–3.5.4).

Pure functions: the caller supplies the clock readings; nothing here touches I/O.
"""

from __future__ import annotations

import calendar
import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from baifang_common.context import Caller
from planning.domain.errors import (
    Forbidden,
    InvalidPeriod,
    InvalidUnplannedText,
    LateUploadExpired,
    NoTasksChosen,
    NotCheckedIn,
    NotYourCustomer,
    TaskNotFound,
    TaskOnlineOnly,
    UnknownTaskCode,
    VisitClosed,
)
from planning.domain.model import (
    Customer,
    LibraryTask,
    Period,
    Task,
    TaskStatus,
    UnplannedTask,
    Visit,
    VisitMethod,
    VisitStatus,
)

# The kind of task that may complete from an offline batch (R-1.3.3-d); others are `collection:<form>`.
BASIC_TASK_KIND = "basic"
# Longest unplanned-task text accepted (characters, after trimming).
MAX_UNPLANNED_TEXT = 2000

# --- ownership ----------------------------------------------------------------------------


def ensure_can_read(caller: Caller, manager_id: str, team_id: str) -> None:
    """A manager reads their own, a supervisor their team's, an admin everything."""
    if caller.is_admin or caller.id == manager_id:
        return
    if caller.is_supervisor and caller.team_id and caller.team_id == team_id:
        return
    raise Forbidden(manager_id=manager_id)


def ensure_can_write(caller: Caller, visit: Visit) -> None:
    """Only the visit's own manager works on it (our services acting on their own account are trusted)."""
    if caller.is_service or caller.id == visit.manager_id:
        return
    raise Forbidden(visit_id=visit.id)


def ensure_service_or_owner(caller: Caller, manager_id: str) -> None:
    """Internal RPCs (check-in support): a forwarded manager identity must match the manager."""
    if caller.is_manager and caller.id != manager_id:
        raise Forbidden(manager_id=manager_id)


class ServingScope(StrEnum):
    """Whom a manager may serve outside their plan (§3.5.9, configuration PLANNING_SERVING_SCOPE)."""

    OWN = "own"
    TEAM = "team"


def may_serve(caller: Caller, customer: Customer, scope: ServingScope) -> bool:
    """Own customers; the team's too when the scope allows covering; a supervisor their team; an admin all."""
    if caller.is_admin or caller.id == customer.manager_id:
        return True
    same_team = bool(caller.team_id) and caller.team_id == customer.team_id
    if caller.is_supervisor:
        return same_team
    return caller.is_manager and scope == ServingScope.TEAM and same_team


def ensure_may_serve(caller: Caller, customer: Customer, scope: ServingScope) -> None:
    """R-1.5.2-e: anyone outside the serving scope gets 403 and nothing of the customer."""
    if not may_serve(caller, customer, scope):
        raise NotYourCustomer(customer_id=customer.id)


# --- temporary visits (change customer, §1.5.2) ---------------------------------------------


def choose_tasks(codes: Iterable[str], library: Iterable[LibraryTask]) -> tuple[LibraryTask, ...]:
    """R-1.5.2-a: at least one task, each from the base library; repeats collapse, the order is kept."""
    wanted = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    if not wanted:
        raise NoTasksChosen(field="task_codes")
    by_code = {t.code: t for t in library}
    unknown = [c for c in wanted if c not in by_code]
    if unknown:
        raise UnknownTaskCode(task_codes=unknown)
    return tuple(by_code[c] for c in wanted)


def temporary_visit(
    visit_id: str, manager: Caller, customer: Customer, day: str, tasks: tuple[LibraryTask, ...], order: int
) -> Visit:
    """R-1.5.2-b: a `temporary` visit on the scanning manager's list for that day, not checked in (§3.5.5)."""
    return Visit(
        id=visit_id,
        manager_id=manager.id,
        team_id=manager.team_id or customer.team_id,
        date=day,
        customer_id=customer.id,
        temporary=True,
        order=order,
        tasks=tuple(Task(f"{visit_id}.t{i}", t.code, t.name, t.kind, t.method) for i, t in enumerate(tasks, 1)),
    )


# --- late offline days (R-1.3.3-c) -----------------------------------------------------------


@dataclass(frozen=True)
class LateWindow:
    """Offline work of a past day reopens its missed visit until `days` after that day (company time)."""

    today: date
    days: int


def reopens_missed(visit: Visit, client_day: date | None, window: LateWindow | None) -> bool:
    """True when this work, done on the visit's own day and uploaded in the window, revives a missed visit.

    Work of that day arriving after the window is refused with `late_upload_expired`; any other work
    on a missed visit finds it closed.
    """
    if visit.status != VisitStatus.MISSED or window is None or client_day is None:
        return False
    if client_day.isoformat() != visit.date:
        return False
    if (window.today - client_day).days > window.days:
        raise LateUploadExpired(visit_id=visit.id, date=visit.date, window_days=window.days)
    return True


# --- state machine ------------------------------------------------------------------------


class CheckinDecision(StrEnum):
    APPLY = "apply"
    ALREADY = "already"


def checkin_decision(visit: Visit, client_day: date | None = None, window: LateWindow | None = None) -> CheckinDecision:
    """planned → checked_in; a checked-in or completed visit keeps its first check-in.

    missed is final, except for a check-in made on the visit's own day and uploaded late (R-1.3.3-c).
    """
    if visit.status == VisitStatus.PLANNED:
        return CheckinDecision.APPLY
    if visit.status == VisitStatus.MISSED:
        if reopens_missed(visit, client_day, window):
            return CheckinDecision.APPLY
        raise VisitClosed(visit_id=visit.id, status=visit.status.value)
    return CheckinDecision.ALREADY


def _ensure_workable(visit: Visit, client_day: date | None = None, window: LateWindow | None = None) -> None:
    """Task and completion work needs a check-in, except on phone visits (§3.5.6).

    A missed visit takes late offline work of its own day within the window as if still planned.
    """
    if visit.closed and not reopens_missed(visit, client_day, window):
        raise VisitClosed(visit_id=visit.id, status=visit.status.value)
    if visit.status == VisitStatus.MISSED and visit.method != VisitMethod.PHONE:
        raise NotCheckedIn(visit_id=visit.id)
    if visit.status == VisitStatus.PLANNED and visit.method != VisitMethod.PHONE:
        raise NotCheckedIn(visit_id=visit.id)


def complete_task(
    visit: Visit,
    task_id: str,
    *,
    note: str,
    client_ts: str,
    now: datetime,
    op_id: str = "",
    offline: bool = False,
    client_day: date | None = None,
    window: LateWindow | None = None,
) -> tuple[Visit, bool]:
    """The visit with the task done, and whether anything changed (False: it was done already)."""
    task = visit.task(task_id)
    if task is None:
        raise TaskNotFound(visit_id=visit.id, task_id=task_id)
    if task.done:
        return visit, False
    _ensure_workable(visit, client_day, window)
    if offline and task.kind != BASIC_TASK_KIND:
        # R-1.3.3-d: a task that needs a collection form completes online only.
        raise TaskOnlineOnly(visit_id=visit.id, task_id=task_id, kind=task.kind)
    done = dataclasses.replace(
        task,
        status=TaskStatus.DONE,
        completed_at=client_ts,
        done_at=now,
        note=note,
        op_id=op_id,
        offline=offline,
    )
    tasks = tuple(done if t.task_id == task_id else t for t in visit.tasks)
    return dataclasses.replace(visit, tasks=tasks), True


def complete_visit(
    visit: Visit,
    *,
    summary: str,
    next_steps: str,
    client_ts: str,
    now: datetime,
    offline: bool = False,
    op_id: str = "",
    client_day: date | None = None,
    window: LateWindow | None = None,
) -> tuple[Visit, bool]:
    """checked_in (or a planned phone visit) → completed; open tasks stay open; a second completion changes nothing."""
    if visit.status == VisitStatus.COMPLETED:
        return visit, False
    _ensure_workable(visit, client_day, window)
    completed = dataclasses.replace(
        visit,
        status=VisitStatus.COMPLETED,
        completed_at=now,
        completed_client_ts=client_ts,
        summary=summary,
        next_steps=next_steps,
        offline=offline,
        complete_op_id=op_id,
    )
    return completed, True


def unplanned_text(text: str) -> str:
    """The text as kept: trimmed, not empty, at most MAX_UNPLANNED_TEXT characters (400 otherwise)."""
    kept = text.strip()
    if not kept:
        raise InvalidUnplannedText("text is required", field="text")
    if len(kept) > MAX_UNPLANNED_TEXT:
        raise InvalidUnplannedText(f"text is longer than {MAX_UNPLANNED_TEXT} characters", field="text")
    return kept


def add_unplanned_task(visit: Visit, *, text: str, client_ts: str, now: datetime, op_id: str) -> tuple[Visit, bool]:
    """Append an unplanned-task entry (§1.5.6, append-only); an entry with this op_id already there changes nothing.

    Like other visit work it needs the check-in (phone visits exempt) and is closed on completed/missed
    visits. It never enters the plan counts (those count `tasks` only).
    """
    if op_id and any(u.op_id == op_id for u in visit.unplanned_tasks):
        return visit, False
    kept = unplanned_text(text)
    _ensure_workable(visit)
    entry = UnplannedTask(text=kept, client_ts=client_ts, op_id=op_id, received_at=now)
    return dataclasses.replace(visit, unplanned_tasks=(*visit.unplanned_tasks, entry)), True


def is_overdue(visit: Visit, today: date) -> bool:
    """Never checked in and its day is over in the company time zone → it becomes missed (§3.5.12)."""
    return visit.status == VisitStatus.PLANNED and date.fromisoformat(visit.date) < today


# --- plan counts --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanCounts:
    planned_customers: int = 0
    completed_customers: int = 0
    planned_tasks: int = 0
    executed_tasks: int = 0
    # Of the planned customers, how many are temporary visits (§3.5.4: counted, and flagged apart).
    temporary_customers: int = 0

    def __add__(self, other: PlanCounts) -> PlanCounts:
        return PlanCounts(
            self.planned_customers + other.planned_customers,
            self.completed_customers + other.completed_customers,
            self.planned_tasks + other.planned_tasks,
            self.executed_tasks + other.executed_tasks,
            self.temporary_customers + other.temporary_customers,
        )


@dataclass(frozen=True)
class PlanSummary:
    period: Period
    start: date
    end: date
    counts: PlanCounts
    rows: tuple[tuple[date, PlanCounts], ...]


def parse_period(value: str) -> Period:
    try:
        return Period(value or "day")
    except ValueError as exc:
        raise InvalidPeriod(field="period", value=value) from exc


def period_bounds(period: Period, anchor: date) -> tuple[date, date]:
    """Inclusive bounds: the day; Monday–Sunday of its week; the calendar month."""
    if period == Period.DAY:
        return anchor, anchor
    if period == Period.WEEK:
        start = anchor - timedelta(days=anchor.weekday())
        return start, start + timedelta(days=6)
    last = calendar.monthrange(anchor.year, anchor.month)[1]
    return anchor.replace(day=1), anchor.replace(day=last)


def visit_counts(visit: Visit) -> PlanCounts:
    """One customer-visit; temporary visits count like planned ones (§3.5.4); missed ones stay planned-not-done."""
    return PlanCounts(
        planned_customers=1,
        completed_customers=1 if visit.status == VisitStatus.COMPLETED else 0,
        planned_tasks=visit.tasks_total,
        executed_tasks=sum(1 for t in visit.tasks if _executed(t)),
        temporary_customers=1 if visit.temporary else 0,
    )


def _executed(task: Task) -> bool:
    return task.status == TaskStatus.DONE


def plan_summary(period: Period, anchor: date, visits: Iterable[Visit]) -> PlanSummary:
    """Week and month sum customer-visits over days (§3.5.3); rows are one per day of the period."""
    start, end = period_bounds(period, anchor)
    per_day: dict[date, PlanCounts] = {}
    day = start
    while day <= end:
        per_day[day] = PlanCounts()
        day += timedelta(days=1)
    for visit in visits:
        when = date.fromisoformat(visit.date)
        if when in per_day:
            per_day[when] = per_day[when] + visit_counts(visit)
    total = sum(per_day.values(), PlanCounts())
    return PlanSummary(period, start, end, total, tuple(per_day.items()))


# Customer-card fields that collection's terminal information maintenance (§1.5.8.4, §1.6.2) may update.
CARD_FIELDS = ("terminal_type", "phone")


def card_update(fields: dict[str, Any]) -> dict[str, str]:
    """The announced card fields planning takes: known names with text values, nothing else."""
    return {name: value.strip() for name, value in fields.items() if name in CARD_FIELDS and isinstance(value, str)}
