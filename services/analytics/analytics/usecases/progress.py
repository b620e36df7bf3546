"""Applying planning and checkin events to the live plan progress (worker side, no gRPC imports).

Each function is order-independent and idempotent, so redelivery, retries and the different
queues racing each other all converge on the same document.
"""

from __future__ import annotations

from datetime import UTC

from analytics.adapters.day_progress_store import DayProgressStore, task_key
from analytics.domain.model import DayKey, PlannedVisit, VisitStatus
from baifang_common.events import (
    CheckinRecorded,
    Event,
    TaskCompleted,
    VisitCompleted,
    VisitMissed,
    VisitPlanPublished,
    VisitTemporaryAdded,
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


def apply_visit_plan_published(event: VisitPlanPublished, *, days: DayProgressStore) -> None:
    visits = [
        PlannedVisit(str(v["visit_id"]), str(v.get("customer_id", "")), int(v.get("task_count", 0)))
        for v in event.visits
    ]
    days.record_plan(_key(event.manager_id, event.team_id, event.date), visits, _at(event))


def apply_visit_temporary_added(event: VisitTemporaryAdded, *, days: DayProgressStore) -> None:
    """A temporary visit joins the day's plan with its tasks (DOMAIN.md §3.5.4)."""
    days.record_visit(
        _key(event.manager_id, event.team_id, event.date),
        event.visit_id,
        _at(event),
        fields={"customer_id": event.customer_id, "planned": True, "temporary": True},
        at_least={"task_count": len(event.task_codes)},
    )


def apply_checkin_recorded(event: CheckinRecorded, *, days: DayProgressStore) -> None:
    days.record_visit(
        _key(event.manager_id, event.team_id, event.date),
        event.visit_id,
        _at(event),
        fields={"customer_id": event.customer_id, "checked_in": True},
        status=VisitStatus.CHECKED_IN,
    )


def apply_task_completed(event: TaskCompleted, *, days: DayProgressStore) -> None:
    days.record_visit(
        _key(event.manager_id, event.team_id, event.date),
        event.visit_id,
        _at(event),
        fields={"customer_id": event.customer_id, task_key(event.task_id): True},
    )


def apply_visit_completed(event: VisitCompleted, *, days: DayProgressStore) -> None:
    """Completion is final; it also carries the done count and, for temporary visits, the task total."""
    fields: dict[str, object] = {"customer_id": event.customer_id}
    at_least = {"tasks_done_count": int(event.tasks_done)}
    if event.checked_in_at:
        fields["checked_in"] = True
    if event.temporary:
        fields.update(planned=True, temporary=True)
        at_least["task_count"] = int(event.tasks_total)
    days.record_visit(
        _key(event.manager_id, event.team_id, event.date),
        event.visit_id,
        _at(event),
        fields=fields,
        at_least=at_least,
        status=VisitStatus.COMPLETED,
    )


def apply_visit_missed(event: VisitMissed, *, days: DayProgressStore) -> None:
    days.record_visit(
        _key(event.manager_id, event.team_id, event.date),
        event.visit_id,
        _at(event),
        fields={"customer_id": event.customer_id},
        status=VisitStatus.MISSED,
    )
