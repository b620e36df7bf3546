"""Applying planning and checkin events to the live plan progress (worker side, no gRPC imports).

Each event becomes the facts it states about one manager's day (a DayChange); a batch of events
is written at once, one update per document (adapters/day_progress_store.py). The facts are
order-independent and idempotent, so redelivery, retries, any grouping into batches and the
different queues racing each other all converge on the same document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Any

from analytics.adapters.day_progress_store import DayChange, DayProgressStore, task_key, unplanned_key
from analytics.domain.model import DayKey
from baifang_common.events import (
    CheckinRecorded,
    Event,
    TaskCompleted,
    UnplannedTaskRecorded,
    VisitCompleted,
    VisitMissed,
    VisitPlanPublished,
    VisitTemporaryAdded,
    WorkSummarySaved,
)
from baifang_common.timeutil import parse_date, parse_ts, utc_key


def _key(manager_id: str, team_id: str, date: str) -> DayKey:
    """Malformed ids fail loudly (the event goes to retry and then the dead-letter queue)."""
    if not manager_id or not team_id:
        raise ValueError("event without manager_id or team_id")
    return DayKey(manager_id, team_id, parse_date(date).isoformat())


def _at(event: Event) -> str:
    """When the event occurred, as the store's fixed-width `last_event_at` key."""
    return utc_key(parse_ts(event.occurred_at, "occurred_at", naive_zone=UTC))


def _visit(event: Any, key: str, fact: Any) -> DayChange:
    """One fact about one visit of the event's day, under the key of the event's kind."""
    if not event.visit_id:
        raise ValueError("event without visit_id")
    day = _key(event.manager_id, event.team_id, event.date)
    return DayChange(day, _at(event), {event.visit_id: {key: fact}})


def plan_published(event: VisitPlanPublished) -> DayChange:
    """The published plan: every listed visit is planned with its task count (one field per plan)."""
    rows = [[str(v["visit_id"]), str(v.get("customer_id", "")), int(v.get("task_count", 0))] for v in event.visits]
    if not event.event_id or any(not row[0] for row in rows):
        raise ValueError("plan event without event_id or with a visit without visit_id")
    key = _key(event.manager_id, event.team_id, event.date)
    return DayChange(key, _at(event), plans={event.event_id: rows})


def temporary_added(event: VisitTemporaryAdded) -> DayChange:
    """A temporary visit joins the day's plan with its tasks (docs/domain.md §3.5.4)."""
    return _visit(event, "temporary", {"customer_id": event.customer_id, "task_count": len(event.task_codes)})


def checkin_recorded(event: CheckinRecorded) -> DayChange:
    return _visit(event, "checkin", {"customer_id": event.customer_id})


def task_completed(event: TaskCompleted) -> DayChange:
    """The task is done; its value names the outlet, for a visit no plan event told about yet."""
    return _visit(event, task_key(event.task_id), event.customer_id or True)


def visit_completed(event: VisitCompleted) -> DayChange:
    """Completion is final; it also carries the done count and, for temporary visits, the task total."""
    return _visit(
        event,
        "completion",
        {
            "customer_id": event.customer_id,
            "tasks_done": int(event.tasks_done),
            "checked_in": bool(event.checked_in_at),
            "temporary": bool(event.temporary),
            "tasks_total": int(event.tasks_total),
        },
    )


def visit_missed(event: VisitMissed) -> DayChange:
    return _visit(event, "missed", {"customer_id": event.customer_id})


def unplanned_task_recorded(event: UnplannedTaskRecorded) -> DayChange:
    """One entry of the visit's unplanned tasks (§1.5.6), under its event id: a replay counts once."""
    return _visit(event, unplanned_key(event.event_id), event.customer_id or True)


def work_summary_saved(event: WorkSummarySaved) -> DayChange:
    """The manager saved the day's work summary (P-002-4): one field per version, any order."""
    if int(event.version) < 1:
        raise ValueError(f"work summary version {event.version!r}")
    key = _key(event.manager_id, event.team_id, event.date)
    return DayChange(key, _at(event), summaries={str(int(event.version)): event.saved_at})


CHANGES: dict[type[Event], Callable[[Any], DayChange]] = {
    VisitPlanPublished: plan_published,
    VisitTemporaryAdded: temporary_added,
    CheckinRecorded: checkin_recorded,
    TaskCompleted: task_completed,
    VisitCompleted: visit_completed,
    VisitMissed: visit_missed,
    UnplannedTaskRecorded: unplanned_task_recorded,
    WorkSummarySaved: work_summary_saved,
}


def apply_events(events: Sequence[Event], *, days: DayProgressStore) -> None:
    """Every event's facts, written in one bulk write (one update per manager-day), then the visit
    counts of the days written, from the days read back (one read, one write per batch)."""
    days.count(days.apply([CHANGES[type(event)](event) for event in events]))
