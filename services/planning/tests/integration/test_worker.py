"""The worker as a real subprocess: check-in events mark visits, the timer sweeps missed ones."""

from __future__ import annotations

import pytest

from baifang_common.events import CheckinRecorded
from baifang_common.publisher import EventPublisher
from baifang_common.testing.wait import wait_until
from planning import bootstrap
from planning.domain.model import VisitStatus
from planning.usecases.checkins import apply_checkins_recorded

from .builders import make_customer, make_visit

pytestmark = pytest.mark.integration


def test_worker_applies_checkins_and_marks_past_visits_missed(stores, isolation, spawn_process, event_probe):
    missed_probe = event_probe("planning", "visit.missed")
    customer = make_customer()
    today = make_visit(customer, "2099-01-05")
    overdue = make_visit(customer, "2020-01-06")
    stores.visits.insert_many([today, overdue])
    spawn_process("planning", "worker", env={**isolation, "PLANNING_MISSED_SWEEP_SECONDS": "0.5"})

    event = CheckinRecorded(
        checkin_id="ck-1",
        visit_id=today.id,
        customer_id=customer.id,
        manager_id="m001",
        team_id="t01",
        date=today.date,
        lat=31.82,
        lon=117.23,
        accuracy_m=8.0,
        distance_m=12.0,
        verdict="ok",
        verdict_reason="",
        mock_location=False,
        client_ts="2099-01-05T09:00:00+08:00",
        received_at="2099-01-05T01:00:01+00:00",
    )
    publisher = EventPublisher(isolation["AMQP_URI"])
    publisher.publish(event)
    publisher.publish(event)  # a redelivery changes nothing
    publisher.close()

    checked = wait_until(
        lambda: (v := stores.visits.get(today.id)) and v.status == VisitStatus.CHECKED_IN and v,
        timeout=20,
        what="visit checked in by the worker",
    )
    assert checked.checkin_id == "ck-1"
    wait_until(lambda: stores.visits.get(overdue.id).status == VisitStatus.MISSED, timeout=20, what="visit missed")
    assert [b["visit_id"] for b in missed_probe.wait(1, timeout=20)] == [overdue.id]


def test_a_batch_of_checkin_events_marks_each_visit_once_with_its_first_checkin(stores, settings):
    """Two check-ins of one visit in one batch: the first in the batch holds it; an unknown visit is skipped."""
    customer = make_customer()
    visit, other = make_visit(customer, "2099-01-05"), make_visit(make_customer(), "2099-01-05")
    stores.visits.insert_many([visit, other])

    def event(checkin_id: str, visit_id: str) -> CheckinRecorded:
        return CheckinRecorded(checkin_id=checkin_id, visit_id=visit_id, customer_id=customer.id, manager_id="m001",
                               team_id="t01", date="2099-01-05", lat=31.82, lon=117.23, accuracy_m=8.0, distance_m=12.0,
                               verdict="ok", verdict_reason="", mock_location=False,
                               client_ts="2099-01-05T09:00:00+08:00",
                               received_at="2099-01-05T01:00:01+00:00")  # fmt: skip

    batch = [
        event("ck-a", visit.id),
        event("ck-missing", "no-such-visit"),
        event("ck-b", visit.id),
        event("ck-c", other.id),
    ]
    late = bootstrap.late_uploads(settings)
    apply_checkins_recorded(batch, visits=stores.visits, late=late)
    apply_checkins_recorded(batch[::-1], visits=stores.visits, late=late)  # redelivered, in another order

    marked = {v.id: (v.status, v.checkin_id) for v in (stores.visits.get(visit.id), stores.visits.get(other.id))}
    assert marked == {visit.id: (VisitStatus.CHECKED_IN, "ck-a"), other.id: (VisitStatus.CHECKED_IN, "ck-c")}
