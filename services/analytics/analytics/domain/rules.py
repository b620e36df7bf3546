"""Pure rules of the plan progress read model: status precedence and the four counts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from analytics.domain.model import ManagerProgress, PlanCounts, VisitProgress, VisitStatus

# Events arrive in any order; a status only ever moves up this ladder, so a late check-in
# never reopens a completed visit and a late "missed" never undoes a completion.
STATUS_RANK: dict[VisitStatus, int] = {
    VisitStatus.PLANNED: 0,
    VisitStatus.CHECKED_IN: 1,
    VisitStatus.MISSED: 2,
    VisitStatus.COMPLETED: 3,
}


def status_rank(status: VisitStatus) -> int:
    return STATUS_RANK[status]


def later_status(current: VisitStatus, incoming: VisitStatus) -> VisitStatus:
    """The status a visit has after both facts are known, whichever came first."""
    return incoming if status_rank(incoming) > status_rank(current) else current


def executed_tasks(visit: VisitProgress) -> int:
    """Done tasks: individual task events or the completion's total, whichever knows more."""
    return max(len(visit.tasks_done), visit.tasks_done_count)


def plan_counts(visits: Iterable[VisitProgress]) -> PlanCounts:
    """Counts over planned visits only (temporary ones count as planned, DOMAIN.md §3.5.4).

    A visit known only from a check-in or task event waits for its plan event before it counts,
    so completed never exceeds planned. Customers are distinct within a day (§3.5.3).
    """
    planned: set[str] = set()
    completed: set[str] = set()
    checked_in: set[str] = set()
    planned_tasks = 0
    executed = 0
    for visit in visits:
        if not visit.planned:
            continue
        customer = visit.customer_id or visit.visit_id
        planned.add(customer)
        planned_tasks += visit.task_count
        executed += executed_tasks(visit)
        if visit.status is VisitStatus.COMPLETED:
            completed.add(customer)
        if visit.checked_in:
            checked_in.add(customer)
    return PlanCounts(
        planned_customers=len(planned),
        completed_customers=len(completed),
        planned_tasks=planned_tasks,
        executed_tasks=executed,
        checked_in_customers=len(checked_in),
    )


# The flag each status-bearing event sets; the visit's status is the highest it reached.
STATUS_FLAGS: tuple[tuple[str, VisitStatus], ...] = (
    ("checked_in", VisitStatus.CHECKED_IN),
    ("missed", VisitStatus.MISSED),
    ("completed", VisitStatus.COMPLETED),
)
# A visit's task count as the plan, the temporary visit's creation and its completion know it.
TASK_COUNT_FIELDS = ("task_count", "task_count_added", "task_count_total")


def visit_from_document(visit_id: str, fields: Mapping[str, Any]) -> VisitProgress:
    """Tolerant reader of one `visits.<visit_id>` sub-document (any field may be missing).

    Status: the highest of the flags the events set (and of a stored `status`, as documents
    written before the flags have it).
    """
    try:
        status = VisitStatus(fields.get("status") or VisitStatus.PLANNED)
    except ValueError:
        status = VisitStatus.PLANNED
    for flag, reached in STATUS_FLAGS:
        if fields.get(flag):
            status = later_status(status, reached)
    done = fields.get("tasks_done") or {}
    return VisitProgress(
        visit_id=visit_id,
        customer_id=str(fields.get("customer_id") or ""),
        planned=bool(fields.get("planned")),
        temporary=bool(fields.get("temporary")),
        task_count=max(int(fields.get(name) or 0) for name in TASK_COUNT_FIELDS),
        status=status,
        checked_in=bool(fields.get("checked_in")),
        tasks_done=frozenset(task_id for task_id, flag in done.items() if flag),
        tasks_done_count=int(fields.get("tasks_done_count") or 0),
    )


def progress_of_document(doc: Mapping[str, Any]) -> ManagerProgress:
    """One `day_progress` document → the manager's counts for that day."""
    visits = [visit_from_document(vid, fields) for vid, fields in (doc.get("visits") or {}).items()]
    return ManagerProgress(
        manager_id=str(doc.get("manager_id", "")),
        counts=plan_counts(visits),
        last_event_at=str(doc.get("last_event_at") or ""),
    )


def utc_key(timestamp: str) -> str:
    """A fixed-width UTC ISO time, so the store can keep the latest with a string `$max`."""
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
