"""Integration fixtures: one manager's day as the events planning and checkin publish about it,
served by the `day` fixture (the event builders, DATE and the EXPECTED counts)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

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

DATE = "2025-06-02"


def checkin(manager_id: str, team_id: str, visit_id: str, customer_id: str) -> CheckinRecorded:
    return CheckinRecorded(
        checkin_id=f"ci-{visit_id}",
        visit_id=visit_id,
        customer_id=customer_id,
        manager_id=manager_id,
        team_id=team_id,
        date=DATE,
        lat=31.82,
        lon=117.22,
        accuracy_m=8.0,
        distance_m=12.0,
        verdict="ok",
        verdict_reason="",
        mock_location=False,
        client_ts="2025-06-02T09:00:00+08:00",
        received_at="2025-06-02T01:00:01+00:00",
    )


def task(manager_id: str, team_id: str, visit_id: str, customer_id: str, task_id: str) -> TaskCompleted:
    return TaskCompleted(
        visit_id=visit_id,
        task_id=task_id,
        task_code="price_inventory",
        task_kind="collection",
        customer_id=customer_id,
        manager_id=manager_id,
        team_id=team_id,
        date=DATE,
        client_ts="2025-06-02T09:10:00+08:00",
    )


def completed(
    manager_id: str, team_id: str, visit_id: str, customer_id: str, *, done: int, total: int, temporary: bool = False
) -> VisitCompleted:
    return VisitCompleted(
        visit_id=visit_id,
        customer_id=customer_id,
        manager_id=manager_id,
        team_id=team_id,
        date=DATE,
        temporary=temporary,
        method="field",
        checked_in_at="2025-06-02T01:00:00+00:00",
        completed_at="2025-06-02T01:30:00+00:00",
        tasks_total=total,
        tasks_done=done,
    )


def unplanned(manager_id: str, team_id: str, visit_id: str, customer_id: str, op_id: str) -> UnplannedTaskRecorded:
    return UnplannedTaskRecorded(
        event_id=f"ut-{visit_id}-{op_id}",
        visit_id=visit_id,
        customer_id=customer_id,
        manager_id=manager_id,
        team_id=team_id,
        date=DATE,
        text="协助整理陈列柜",
        client_ts="2025-06-02T09:20:00+08:00",
        op_id=op_id,
    )


def summary(manager_id: str, team_id: str, version: int) -> WorkSummarySaved:
    return WorkSummarySaved(
        manager_id=manager_id, team_id=team_id, date=DATE, version=version, saved_at=f"2025-06-02T10:0{version}:00Z"
    )


def plan(manager_id: str, team_id: str) -> VisitPlanPublished:
    return VisitPlanPublished(
        manager_id=manager_id,
        team_id=team_id,
        date=DATE,
        planned_tasks=6,
        visits=[
            {"visit_id": f"{manager_id}-v1", "customer_id": "c1", "order": 1, "method": "field", "task_count": 2},
            {"visit_id": f"{manager_id}-v2", "customer_id": "c2", "order": 2, "method": "field", "task_count": 3},
            {"visit_id": f"{manager_id}-v3", "customer_id": "c3", "order": 3, "method": "field", "task_count": 1},
        ],
    )


def day_of(manager_id: str, team_id: str = "t01") -> list[Event]:
    """Expected: 4 planned customers, 2 completed, 8 planned tasks, 4 executed, 3 checked in;
    3 unplanned tasks (two on v1, one on v4) and the work summary saved (two versions)."""
    m, t = manager_id, team_id
    v1, v2, v3, v4 = (f"{m}-v{i}" for i in range(1, 5))
    return [
        plan(m, t),
        checkin(m, t, v1, "c1"),
        task(m, t, v1, "c1", f"{v1}-t1"),
        task(m, t, v1, "c1", f"{v1}-t2"),
        completed(m, t, v1, "c1", done=2, total=2),
        checkin(m, t, v2, "c2"),
        task(m, t, v2, "c2", f"{v2}-t1"),
        VisitMissed(visit_id=v3, customer_id="c3", manager_id=m, team_id=t, date=DATE),
        VisitTemporaryAdded(
            visit_id=v4,
            manager_id=m,
            team_id=t,
            customer_id="c4",
            date=DATE,
            task_codes=["price_inventory", "brand_promotion"],
        ),
        checkin(m, t, v4, "c4"),
        task(m, t, v4, "c4", f"{v4}-t1"),
        completed(m, t, v4, "c4", done=1, total=2, temporary=True),
        unplanned(m, t, v1, "c1", "u1"),
        unplanned(m, t, v1, "c1", "u2"),
        unplanned(m, t, v4, "c4", "u1"),
        summary(m, t, 2),
        summary(m, t, 1),
    ]


EXPECTED = (4, 2, 8, 4, 3, 3, True)


@pytest.fixture
def day() -> SimpleNamespace:
    """The event builders: plan, checkin, task, completed, unplanned, summary, day_of; DATE and EXPECTED counts
    (the four plan counts, check-ins, unplanned tasks, work summary saved)."""
    return SimpleNamespace(
        DATE=DATE, EXPECTED=EXPECTED, plan=plan, checkin=checkin, task=task, completed=completed, day_of=day_of,
        unplanned=unplanned, summary=summary,
    )  # fmt: skip
