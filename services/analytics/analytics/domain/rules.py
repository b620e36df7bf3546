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


def later_status(current: VisitStatus, incoming: VisitStatus) -> VisitStatus:
    """The status a visit has after both facts are known, whichever came first."""
    return incoming if status_rank(incoming) > status_rank(current) else current


def executed_tasks(visit: VisitProgress) -> int:
    """Done tasks: individual task events or the completion's total, whichever knows more."""
    return max(len(visit.tasks_done), visit.tasks_done_count)


def plan_counts(visits: Iterable[VisitProgress]) -> PlanCounts:
    """Counts over planned visits only (temporary ones count as planned, docs/domain.md §3.5.4).

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


# What each kind of event records about a visit, one object under one key (see
# adapters/day_progress_store.py), and the status it proves the visit reached.
STATUS_FACTS: tuple[tuple[str, VisitStatus], ...] = (
    ("checkin", VisitStatus.CHECKED_IN),
    ("missed", VisitStatus.MISSED),
    ("completion", VisitStatus.COMPLETED),
)


def planned_visits(doc: Mapping[str, Any]) -> dict[str, tuple[str, int]]:
    """visit_id -> (customer_id, task_count) over every plan the day's document holds (`plans`:
    one list of [visit_id, customer_id, task_count] per plan event); a visit in several plans
    keeps its highest task count."""
    out: dict[str, tuple[str, int]] = {}
    for rows in (doc.get("plans") or {}).values():
        for row in rows or ():
            visit_id, customer_id, task_count = str(row[0]), str(row[1] or ""), int(row[2] or 0)
            known = out.get(visit_id)
            if known is None or task_count > known[1]:
                out[visit_id] = (customer_id or (known[0] if known else ""), task_count)
    return out


def visit_from_document(visit_id: str, fields: Mapping[str, Any], plan: tuple[str, int] | None = None) -> VisitProgress:
    """Tolerant reader of one `visits.<visit_id>` sub-document (any part may be missing), with
    what the day's plans say about the visit (customer, task count), if they list it.

    Each event's facts sit under their own key (`checkin`, `temporary`, `completion`, `missed`,
    `tasks_done.<task_id>`): the status is the highest those facts prove, a count two events know
    is the higher of the two. Plain fields (`status`, `planned`, `task_count`, ...) are documents
    written before the facts had keys of their own; they are read as well.
    """
    try:
        status = VisitStatus(fields.get("status") or VisitStatus.PLANNED)
    except ValueError:
        status = VisitStatus.PLANNED
    facts: dict[str, Mapping[str, Any]] = {}
    for key in ("checkin", "temporary", "completion", "missed"):
        value = fields.get(key)
        if isinstance(value, Mapping):
            facts[key] = value
    for key, reached in STATUS_FACTS:
        if key in facts:
            status = later_status(status, reached)
    temporary, completion = facts.get("temporary", {}), facts.get("completion", {})
    done = fields.get("tasks_done") or {}
    planned_customer, planned_tasks = plan if plan is not None else ("", 0)
    customers = [fields.get("customer_id"), *(f.get("customer_id") for f in facts.values()), planned_customer]
    customers += [v for v in done.values() if isinstance(v, str)]
    temporary_visit = bool(temporary or completion.get("temporary") or fields.get("temporary"))
    task_counts = [planned_tasks, int(fields.get("task_count") or 0), int(temporary.get("task_count") or 0)]
    if completion.get("temporary"):
        task_counts.append(int(completion.get("tasks_total") or 0))
    return VisitProgress(
        visit_id=visit_id,
        customer_id=str(next((c for c in customers if c), "")),
        planned=plan is not None or temporary_visit or bool(fields.get("planned")),
        temporary=temporary_visit,
        task_count=max(task_counts),
        status=status,
        checked_in=bool("checkin" in facts or completion.get("checked_in") or fields.get("checked_in")),
        tasks_done=frozenset(task_id for task_id, flag in done.items() if flag),
        tasks_done_count=max(int(completion.get("tasks_done") or 0), int(fields.get("tasks_done_count") or 0)),
    )


def progress_of_document(doc: Mapping[str, Any]) -> ManagerProgress:
    """One `day_progress` document → the manager's counts for that day."""
    plans = planned_visits(doc)
    recorded = doc.get("visits") or {}
    visits = [visit_from_document(vid, recorded.get(vid) or {}, plans.get(vid)) for vid in {*plans, *recorded}]
    return ManagerProgress(
        manager_id=str(doc.get("manager_id", "")),
        counts=plan_counts(visits),
        last_event_at=str(doc.get("last_event_at") or ""),
        unplanned_tasks=sum(len(v.get("unplanned") or {}) for v in recorded.values() if isinstance(v, Mapping)),
        work_summary_saved=bool(doc.get("summaries")),
    )
