"""The attendance view's visit counts from one day_progress document, counted by hand."""

from __future__ import annotations

from typing import Any

from analytics.domain.attendance import VisitTally, visit_tally
from analytics.domain.indicators import visit_counts


def test_planned_visits_are_counted_done_checked_in_missed_and_phone_apart() -> None:
    doc = {
        "manager_id": "m001",
        "plans": {"plan-1": [["v1", "c1", 3], ["v2", "c2", 2], ["v3", "c3", 1], ["v4", "c4", 2], ["v5", "c5", 1]]},
        "visits": {
            "v1": {"checkin": {"customer_id": "c1"}, "completion": {"customer_id": "c1", "checked_in": True}},
            "v2": {"completion": {"customer_id": "c2", "checked_in": False}},  # a phone visit
            "v3": {"missed": {"customer_id": "c3"}},
            "v4": {"checkin": {"customer_id": "c4"}},  # on site, not completed yet
            "v9": {"checkin": {"customer_id": "c9"}},  # no plan lists it: not counted
        },
    }
    assert visit_tally(doc) == VisitTally("m001", planned=5, done=2, checked_in=2, missed=1, phone_done=1)


def test_a_late_check_in_lifts_a_missed_visit_and_a_temporary_visit_counts_as_planned() -> None:
    doc = {
        "manager_id": "m002",
        "plans": {"plan-1": [["v1", "c1", 1]]},
        "visits": {
            "v1": {"missed": {"customer_id": "c1"}, "checkin": {"customer_id": "c1"}},
            "t1": {"temporary": {"customer_id": "c7", "task_count": 2}},
        },
    }
    assert visit_tally(doc) == VisitTally("m002", planned=2, done=0, checked_in=1, missed=0, phone_done=0)


def test_the_indicators_count_planned_and_completed_visits_as_the_tally_does() -> None:
    docs: list[dict[str, Any]] = [
        {"manager_id": "m1", "plans": {"p": [["v1", "c1", 1], ["v2", "c2", 1], ["v3", "c3", 1]]},
         "visits": {"v1": {"completion": {"customer_id": "c1"}}, "v2": {"missed": {"customer_id": "c2"}},
                    "t1": {"temporary": {"customer_id": "c7", "task_count": 1}, "completion": {"temporary": True}},
                    "t2": {"completion": {"customer_id": "c8", "temporary": True, "tasks_total": 2}},
                    "v9": {"checkin": {"customer_id": "c9"}}, "v8": {"planned": True, "status": "completed"}}},
        {"manager_id": "m2", "visits": {"v1": {"checkin": {"customer_id": "c1"}}}},
        {"manager_id": "m3"},
    ]  # fmt: skip
    for doc in docs:
        tally = visit_tally(doc)
        assert visit_counts(doc) == (tally.planned, tally.done)
    assert visit_counts(docs[0]) == (6, 4)
