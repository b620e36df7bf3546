"""Confirmed publishing to a real RabbitMQ vhost, in the format nameko handlers consume."""

import pytest

from baifang_common import context
from baifang_common.errors import Unavailable
from baifang_common.events import VisitMissed
from baifang_common.publisher import EventPublisher

pytestmark = pytest.mark.integration


def _missed(visit_id: str) -> VisitMissed:
    return VisitMissed(visit_id=visit_id, customer_id="c1", manager_id="m001", team_id="t01", date="2026-11-23")


def test_published_event_arrives_on_the_producer_exchange_with_its_type(amqp_uri, event_probe):
    probe = event_probe("planning", "visit.missed")
    publisher = EventPublisher(amqp_uri)
    event = _missed("v1")
    with context.bound("req-abc"):
        publisher.publish(event)
    bodies = probe.wait(1)
    assert bodies[0]["event_id"] == event.event_id
    assert bodies[0]["event_type"] == "visit.missed"
    assert bodies[0]["visit_id"] == "v1"
    publisher.close()


def test_many_events_are_all_confirmed_in_order(amqp_uri, event_probe):
    probe = event_probe("planning", "visit.missed")
    publisher = EventPublisher(amqp_uri)
    events = [_missed(f"v{i}") for i in range(50)]
    publisher.publish_many(events)
    bodies = probe.wait(50)
    assert [b["visit_id"] for b in bodies] == [e.visit_id for e in events]


def test_unreachable_broker_is_reported_as_unavailable():
    publisher = EventPublisher("amqp://guest:guest@127.0.0.1:1//", connect_timeout=0.5)
    with pytest.raises(Unavailable):
        publisher.publish(_missed("v1"))


def test_a_bulk_publish_is_all_confirmed_in_order(amqp_uri, event_probe):
    probe = event_probe("planning", "visit.missed")
    publisher = EventPublisher(amqp_uri)
    events = [_missed(f"v{i}") for i in range(300)]
    publisher.publish_bulk(events, window=50)
    bodies = probe.wait(300)
    assert [b["visit_id"] for b in bodies] == [e.visit_id for e in events]


def test_a_bulk_publish_to_an_unreachable_broker_is_unavailable():
    publisher = EventPublisher("amqp://guest:guest@127.0.0.1:1//", connect_timeout=0.5)
    with pytest.raises(Unavailable):
        publisher.publish_bulk([_missed("v1")])
