from __future__ import annotations

import dataclasses
import random
from typing import Any

import pytest

from analytics.adapters.day_progress_store import DayProgressStore
from analytics.domain.model import ManagerProgress
from analytics.domain.rules import visit_from_document
from analytics.usecases import progress
from baifang_common.events import (
    Event,
    TaskCompleted,
    VisitPlanPublished,
)
from baifang_common.testing.plugin import unique

pytestmark = pytest.mark.integration

DATE = "2025-06-02"  # the date of the `day` fixture's events


def apply(events: list[Event], days: DayProgressStore) -> None:
    """One event per write, as a consumer that takes batches of one."""
    for event in events:
        progress.apply_events([event], days=days)


def manager_day(days: DayProgressStore, manager_id: str, team_id: str = "t01") -> ManagerProgress | None:
    """The manager's day as the team view reads it."""
    return next((m for m in days.team_day(team_id, DATE) if m.manager_id == manager_id), None)


def counts(days: DayProgressStore, manager_id: str, team_id: str = "t01") -> tuple[int, ...]:
    found = manager_day(days, manager_id, team_id)
    assert found is not None
    c = found.counts
    return (
        *(c.planned_customers, c.completed_customers, c.planned_tasks, c.executed_tasks, c.checked_in_customers),
        *(found.unplanned_tasks, found.work_summary_saved),
    )


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


@pytest.mark.parametrize("seed", [1, 2])
def test_events_in_batches_of_any_grouping_give_the_same_counts(day: Any, days: DayProgressStore, seed: int) -> None:
    manager, other = unique("m"), unique("m")
    events = day.day_of(manager) + day.day_of(other)
    shuffled = events + events[: len(events) // 2]
    rng = random.Random(seed)
    rng.shuffle(shuffled)
    while shuffled:
        size = rng.randint(1, 9)
        progress.apply_events(shuffled[:size], days=days)
        del shuffled[:size]
    assert counts(days, manager) == counts(days, other) == day.EXPECTED


def test_late_checkin_does_not_reopen_a_completed_visit(day: Any, days: DayProgressStore) -> None:
    manager = unique("m")
    apply(day.day_of(manager), days)
    apply([day.checkin(manager, "t01", f"{manager}-v1", "c1")], days)
    doc: Any = days.collection.find_one({"_id": f"{manager}:{DATE}"})
    statuses = {vid: visit_from_document(vid, v).status.value for vid, v in doc["visits"].items()}
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
    found = manager_day(days, manager)
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


def test_unplanned_tasks_and_the_work_summary_count_once_whatever_the_order(day: Any, days: DayProgressStore) -> None:
    """A replayed unplanned task counts once; a summary alone makes the manager appear (no visit counted);
    a manager without a summary shows it unsaved."""
    manager, lazy = unique("m"), unique("m")
    entry = day.unplanned(lazy, "t01", f"{lazy}-v1", "c1", "u1")
    apply([entry, day.plan(lazy, "t01"), entry, day.summary(manager, "t01", 1)], days)
    assert counts(days, manager) == (0, 0, 0, 0, 0, 0, True)
    assert counts(days, lazy) == (3, 0, 6, 0, 0, 1, False)


def test_a_malformed_unplanned_task_or_summary_is_refused(day: Any, days: DayProgressStore) -> None:
    """Refused, so the consumer retries it and then dead-letters it; nothing is written."""
    manager = unique("m")
    for bad in (
        dataclasses.replace(day.unplanned(manager, "t01", f"{manager}-v1", "c1", "u1"), team_id=""),
        dataclasses.replace(day.summary(manager, "t01", 1), version=0),
    ):
        with pytest.raises(ValueError):
            progress.apply_events([bad], days=days)
    assert manager_day(days, manager) is None
