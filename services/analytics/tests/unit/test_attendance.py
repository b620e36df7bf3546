"""The attendance view's visit counts from one day_progress document, counted by hand."""

from __future__ import annotations

from analytics.domain.attendance import VisitTally, visit_tally


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
