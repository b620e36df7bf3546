"""Pure rules of the plan progress read model: status precedence and the four counts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from analytics.domain.model import ManagerProgress, PlanCounts, VisitProgress, VisitStatus

# Events arrive in any order; a status only ever moves up this ladder (the store raises the
# stored rank, never lowers it): completed > checked_in > missed > planned. A late check-in never
# reopens a completed visit, a late "missed" never undoes a check-in or a completion, and an offline
# day uploaded after the missed sweep (R-1.3.3-c) lifts the visit from missed to checked_in.
STATUS_RANK: dict[VisitStatus, int] = {
    VisitStatus.PLANNED: 0,
    VisitStatus.MISSED: 1,
    VisitStatus.CHECKED_IN: 2,
    VisitStatus.COMPLETED: 3,
}


def status_rank(status: VisitStatus) -> int:
    return STATUS_RANK[status]


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


def visit_from_document(visit_id: str, fields: Mapping[str, Any]) -> VisitProgress:
    """Tolerant reader of one `visits.<visit_id>` sub-document (any field may be missing)."""
    try:
        status = VisitStatus(fields.get("status") or VisitStatus.PLANNED)
    except ValueError:
        status = VisitStatus.PLANNED
    done = fields.get("tasks_done") or {}
    return VisitProgress(
        visit_id=visit_id,
        customer_id=str(fields.get("customer_id") or ""),
        planned=bool(fields.get("planned")),
        temporary=bool(fields.get("temporary")),
        task_count=int(fields.get("task_count") or 0),
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
