"""Applying planning and checkin events to the live plan progress (worker side, no gRPC imports).

Each event becomes the facts it states about one manager's day (a DayChange); a batch of events
is written at once, one update per document (adapters/day_progress_store.py). The facts are
order-independent and idempotent, so redelivery, retries, any grouping into batches and the
different queues racing each other all converge on the same document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date as date_type
from typing import Any

from analytics.adapters.day_progress_store import DayChange, DayProgressStore, task_key
from analytics.domain.model import DayKey
from analytics.domain.rules import utc_key
from baifang_common.events import (
    CheckinRecorded,
    Event,
    TaskCompleted,
    VisitCompleted,
    VisitMissed,
    VisitPlanPublished,
    VisitTemporaryAdded,
)


def _key(manager_id: str, team_id: str, date: str) -> DayKey:
    """Malformed ids fail loudly (the event goes to retry and then the dead-letter queue)."""
    if not manager_id or not team_id:
        raise ValueError("event without manager_id or team_id")
    return DayKey(manager_id, team_id, date_type.fromisoformat(date).isoformat())


def _visit(event: Any, **fields: Any) -> DayChange:
    """Facts about one visit of the event's day."""
    if not event.visit_id:
        raise ValueError("event without visit_id")
    key = _key(event.manager_id, event.team_id, event.date)
    return DayChange(key, utc_key(event.occurred_at), {event.visit_id: fields})


def plan_published(event: VisitPlanPublished) -> DayChange:
    """The published plan: every listed visit is planned with its task count."""
    visits = {
        str(v["visit_id"]): {
            "customer_id": str(v.get("customer_id", "")),
            "planned": True,
            "task_count": int(v.get("task_count", 0)),
        }
        for v in event.visits
    }
    return DayChange(_key(event.manager_id, event.team_id, event.date), utc_key(event.occurred_at), visits)


def temporary_added(event: VisitTemporaryAdded) -> DayChange:
    """A temporary visit joins the day's plan with its tasks (DOMAIN.md §3.5.4)."""
    return _visit(
        event,
        customer_id=event.customer_id,
        planned=True,
        temporary=True,
        task_count_added=len(event.task_codes),
    )


def checkin_recorded(event: CheckinRecorded) -> DayChange:
    return _visit(event, customer_id=event.customer_id, checked_in=True)


def task_completed(event: TaskCompleted) -> DayChange:
    return _visit(event, **{"customer_id": event.customer_id, task_key(event.task_id): True})


def visit_completed(event: VisitCompleted) -> DayChange:
    """Completion is final; it also carries the done count and, for temporary visits, the task total."""
    fields: dict[str, Any] = {
        "customer_id": event.customer_id,
        "completed": True,
        "tasks_done_count": int(event.tasks_done),
    }
    if event.checked_in_at:
        fields["checked_in"] = True
    if event.temporary:
        fields.update(planned=True, temporary=True, task_count_total=int(event.tasks_total))
    return _visit(event, **fields)


def visit_missed(event: VisitMissed) -> DayChange:
    return _visit(event, customer_id=event.customer_id, missed=True)


CHANGES: dict[type[Event], Callable[[Any], DayChange]] = {
    VisitPlanPublished: plan_published,
    VisitTemporaryAdded: temporary_added,
    CheckinRecorded: checkin_recorded,
    TaskCompleted: task_completed,
    VisitCompleted: visit_completed,
    VisitMissed: visit_missed,
}


def apply_events(events: Sequence[Event], *, days: DayProgressStore) -> None:
    """Every event's facts, written in one bulk write (one update per manager-day)."""
    days.apply([CHANGES[type(event)](event) for event in events])
