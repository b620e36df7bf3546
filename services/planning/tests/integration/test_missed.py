"""End-of-day sweep against the real store and broker: past planned visits become missed, once."""

from __future__ import annotations

from datetime import date

import pytest

from baifang_common.publisher import EventPublisher
from planning.domain.model import VisitStatus
from planning.usecases.events import event_id
from planning.usecases.missed import mark_missed_visits

from .builders import make_customer, make_visit

pytestmark = pytest.mark.integration


def test_past_planned_visits_become_missed_with_one_event_each(stores, settings, event_probe):
    probe = event_probe("planning", "visit.missed")
    customer = make_customer()
    past = make_visit(customer, "2026-11-20")
    done = make_visit(customer, "2026-11-19", status=VisitStatus.COMPLETED)
    today = make_visit(customer, "2026-11-23")
    stores.visits.insert_many([past, done, today])
    publisher = EventPublisher(settings.amqp_uri)

    assert mark_missed_visits(date(2026, 11, 23), visits=stores.visits, publisher=publisher, limit=10) == 1
    assert mark_missed_visits(date(2026, 11, 23), visits=stores.visits, publisher=publisher, limit=10) == 0
    publisher.close()

    assert stores.visits.get(past.id).status == VisitStatus.MISSED
    assert stores.visits.get(done.id).status == VisitStatus.COMPLETED
    assert stores.visits.get(today.id).status == VisitStatus.PLANNED
    bodies = probe.wait(1)
    assert [b["visit_id"] for b in bodies] == [past.id]
    assert bodies[0]["event_id"] == event_id("visit.missed", past.id)
