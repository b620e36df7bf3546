from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from typing import Any

import pytest

from analytics.adapters.day_progress_store import DayProgressStore
from analytics.domain.model import DayKey, ManagerProgress, VisitStatus
from analytics.domain.rules import visit_from_document
from analytics.usecases import progress
from baifang_common.events import (
    CheckinRecorded,
    Event,
    TaskCompleted,
    VisitCompleted,
    VisitMissed,
    VisitPlanPublished,
    VisitTemporaryAdded,
)
from baifang_common.testing.plugin import unique

pytestmark = pytest.mark.integration

DATE = "2025-06-02"  # the date of the `day` fixture's events

HANDLERS: dict[type[Event], Callable[..., None]] = {
    VisitPlanPublished: progress.apply_visit_plan_published,
    VisitTemporaryAdded: progress.apply_visit_temporary_added,
    CheckinRecorded: progress.apply_checkin_recorded,
    TaskCompleted: progress.apply_task_completed,
    VisitCompleted: progress.apply_visit_completed,
    VisitMissed: progress.apply_visit_missed,
}


def apply(events: list[Event], days: DayProgressStore) -> None:
    for event in events:
        HANDLERS[type(event)](event, days=days)


def progress(days: DayProgressStore, manager_id: str, team_id: str = "t01") -> ManagerProgress | None:
    """The manager's day as the team view reads it."""
    return next((m for m in days.team_day(team_id, DATE) if m.manager_id == manager_id), None)


def counts(days: DayProgressStore, manager_id: str, team_id: str = "t01") -> tuple[int, ...]:
    found = progress(days, manager_id, team_id)
    assert found is not None
    c = found.counts
    return (c.planned_customers, c.completed_customers, c.planned_tasks, c.executed_tasks, c.checked_in_customers)


def test_events_in_publication_order_give_the_day_counts(day: Any, days: DayProgressStore) -> None:
    manager = unique("m")
    apply(day.day_of(manager), days)
    assert counts(days, manager) == day.EXPECTED


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_events_out_of_order_and_twice_give_the_same_counts(day: Any, days: DayProgressStore, seed: int) -> None:
    manager = unique("m")
    events = day.day_of(manager)
    shuffled = events + events
    random.Random(seed).shuffle(shuffled)
    apply(list(reversed(events)), days)
    apply(shuffled, days)
    assert counts(days, manager) == day.EXPECTED


def test_late_checkin_does_not_reopen_a_completed_visit(day: Any, days: DayProgressStore) -> None:
    manager = unique("m")
    apply(day.day_of(manager), days)
    apply([day.checkin(manager, "t01", f"{manager}-v1", "c1")], days)
    doc: Any = days.collection.find_one({"_id": f"{manager}:{DATE}"})
    statuses = {vid: v.get("status", "planned") for vid, v in doc["visits"].items()}
    assert statuses == {
        f"{manager}-v1": "completed",
        f"{manager}-v2": "checked_in",
        f"{manager}-v3": "missed",
        f"{manager}-v4": "completed",
    }
    assert counts(days, manager) == day.EXPECTED


def test_last_event_at_keeps_the_latest_event_time(day: Any, days: DayProgressStore) -> None:
    manager = unique("m")
    early, late = day.checkin(manager, "t01", f"{manager}-v1", "c1"), day.checkin(manager, "t01", f"{manager}-v2", "c2")
    late = dataclasses.replace(late, occurred_at="2025-06-02T02:00:00+00:00")
    early = dataclasses.replace(early, occurred_at="2025-06-02T09:30:00+08:00")
    apply([late, early], days)
    found = progress(days, manager)
    assert found is not None
    assert found.last_event_at == "2025-06-02T02:00:00.000000+00:00"


def test_team_day_lists_managers_with_events_by_id(day: Any, days: DayProgressStore) -> None:
    team = unique("t")
    apply(day.day_of("m002", team) + day.day_of("m001", team) + day.day_of("m003", unique("t")), days)
    assert [m.manager_id for m in days.team_day(team, DATE)] == ["m001", "m002"]


def test_ids_with_dots_and_dollars_are_counted_not_refused(days: DayProgressStore) -> None:
    manager = unique("m")
    visit_id = f"v.{manager}.$1"
    common = {"manager_id": manager, "team_id": "t01", "date": DATE}
    plan = VisitPlanPublished(
        **common,
        visits=[{"visit_id": visit_id, "customer_id": "c1", "order": 1, "method": "on_site", "task_count": 2}],
        planned_tasks=2,
    )
    tasks = [
        TaskCompleted(
            **common,
            visit_id=visit_id,
            task_id=f"{visit_id}.t{i}",
            task_code="A",
            task_kind="basic",
            customer_id="c1",
            client_ts=f"{DATE}T09:00:00+08:00",
        )
        for i in (1, 2)
    ]
    apply([plan, *tasks], days)
    assert counts(days, manager)[:4] == (1, 0, 2, 2)


@pytest.mark.parametrize(
    ("current", "incoming", "expected"),
    [
        (VisitStatus.PLANNED, VisitStatus.CHECKED_IN, VisitStatus.CHECKED_IN),
        (VisitStatus.COMPLETED, VisitStatus.CHECKED_IN, VisitStatus.COMPLETED),
        # R-1.3.3-c: an offline day uploaded after the sweep lifts missed to checked_in, in any order.
        (VisitStatus.MISSED, VisitStatus.CHECKED_IN, VisitStatus.CHECKED_IN),
        (VisitStatus.PLANNED, VisitStatus.MISSED, VisitStatus.MISSED),
        (VisitStatus.COMPLETED, VisitStatus.MISSED, VisitStatus.COMPLETED),
        (VisitStatus.CHECKED_IN, VisitStatus.COMPLETED, VisitStatus.COMPLETED),
    ],
)
def test_status_never_goes_back_down_the_rank(
    days: DayProgressStore, current: VisitStatus, incoming: VisitStatus, expected: VisitStatus
) -> None:
    for first, second in ((current, incoming), (incoming, current)):
        key = DayKey(unique("m"), "t01", DATE)
        days.record_visit(key, "v1", "2025-06-02T01:00:00.000000+00:00", status=first)
        days.record_visit(key, "v1", "2025-06-02T01:00:01.000000+00:00", status=second)
        stored = days.collection.find_one({"_id": key.doc_id})
        assert stored is not None
        assert visit_from_document("v1", stored["visits"]["v1"]).status is expected
