from __future__ import annotations

import pytest

from analytics.domain.model import VisitProgress, VisitStatus
from analytics.domain.rules import later_status, plan_counts, progress_of_document


def doc(**visits: dict[str, object]) -> dict[str, object]:
    return {"_id": "m001:2025-06-02", "manager_id": "m001", "team_id": "t01", "date": "2025-06-02", "visits": visits}


def test_four_counts_come_from_planned_visits() -> None:
    progress = progress_of_document(
        doc(
            v1={"customer_id": "c1", "planned": True, "task_count": 3, "status": "completed", "tasks_done_count": 3},
            v2={
                "customer_id": "c2",
                "planned": True,
                "task_count": 2,
                "status": "checked_in",
                "checked_in": True,
                "tasks_done": {"t1": True},
            },
            v3={"customer_id": "c3", "planned": True, "task_count": 4},
        )
    )
    counts = progress.counts
    assert (counts.planned_customers, counts.completed_customers) == (3, 1)
    assert (counts.planned_tasks, counts.executed_tasks) == (9, 4)
    assert counts.checked_in_customers == 1
    assert progress.manager_id == "m001"


def test_executed_tasks_take_the_larger_of_task_events_and_completion_count() -> None:
    counts = progress_of_document(
        doc(
            v1={
                "customer_id": "c1",
                "planned": True,
                "task_count": 3,
                "tasks_done": {"a": True, "b": True},
                "tasks_done_count": 1,
            },
            v2={
                "customer_id": "c2",
                "planned": True,
                "task_count": 3,
                "tasks_done": {"a": True},
                "tasks_done_count": 3,
            },
        )
    ).counts
    assert counts.executed_tasks == 2 + 3


def test_temporary_visit_counts_as_planned_and_completed() -> None:
    counts = plan_counts(
        [
            VisitProgress(
                "v9", "c9", planned=True, temporary=True, task_count=2, status=VisitStatus.COMPLETED, tasks_done_count=2
            )
        ]
    )
    assert (counts.planned_customers, counts.completed_customers, counts.planned_tasks, counts.executed_tasks) == (
        1,
        1,
        2,
        2,
    )


def test_visit_known_only_from_a_checkin_waits_for_its_plan() -> None:
    counts = progress_of_document(doc(v1={"customer_id": "c1", "status": "completed", "checked_in": True})).counts
    assert counts.planned_customers == 0
    assert counts.completed_customers == 0
    assert counts.checked_in_customers == 0


def test_empty_document_gives_zero_counts() -> None:
    counts = progress_of_document({"manager_id": "m001"}).counts
    assert (counts.planned_customers, counts.completed_customers, counts.planned_tasks, counts.executed_tasks) == (
        0,
        0,
        0,
        0,
    )


def test_unknown_status_reads_as_planned() -> None:
    counts = progress_of_document(doc(v1={"customer_id": "c1", "planned": True, "status": "teleported"})).counts
    assert counts.completed_customers == 0 and counts.planned_customers == 1


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
    current: VisitStatus, incoming: VisitStatus, expected: VisitStatus
) -> None:
    assert later_status(current, incoming) is expected
    assert later_status(incoming, current) is expected


def test_each_kind_of_event_is_read_from_its_own_fact() -> None:
    progress = progress_of_document(
        {
            "manager_id": "m001",
            "plans": {"e1": [["v1", "c1", 3], ["v2", "c2", 2]], "e2": [["v2", "c2", 4]]},
            "visits": {
                "v1": {"checkin": {"customer_id": "c1"}, "completion": {"tasks_done": 2, "checked_in": True}},
                "v2": {"missed": {"customer_id": "c2"}, "checkin": {"customer_id": "c2"}},
                "v3": {"temporary": {"customer_id": "c3", "task_count": 1}, "tasks_done": {"t1": "c3", "t2": "c3"}},
                "v4": {"checkin": {"customer_id": "c4"}},  # no plan event yet: not counted
            },
        }
    )
    c = progress.counts
    assert (c.planned_customers, c.completed_customers, c.planned_tasks, c.executed_tasks) == (3, 1, 8, 4)
    assert c.checked_in_customers == 2
