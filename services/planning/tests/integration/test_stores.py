"""The stores against the real Mongo-compatible store: indexes and conditional updates hold."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from pymongo.errors import DuplicateKeyError

from planning.adapters.visit_store import to_doc
from planning.domain.model import VisitStatus

from .builders import make_customer, make_visit

pytestmark = pytest.mark.integration
AT = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)


def test_a_customer_is_on_a_managers_day_list_at_most_once(stores):
    customer = make_customer()
    stores.visits.insert_many([make_visit(customer, "2026-11-23")])
    with pytest.raises(DuplicateKeyError):
        stores.visits.collection.insert_one(to_doc(make_visit(customer, "2026-11-23")))
    assert stores.visits.insert_many([make_visit(customer, "2026-11-24")]) == 1


def test_bulk_insert_skips_visits_already_there(stores):
    customer = make_customer()
    first = make_visit(customer, "2026-11-23")
    assert stores.visits.insert_many([first]) == 1
    assert stores.visits.insert_many([first, make_visit(customer, "2026-11-24")]) == 1


def test_customer_code_is_unique(stores):
    stores.customers.insert_many([make_customer(code="C1")])
    with pytest.raises(DuplicateKeyError):
        stores.customers.collection.insert_one({"_id": "other", "code": "C1"})


def test_customer_round_trips_with_its_location(stores):
    customer = make_customer(address="人民路1号", credit_grade="A")
    stores.customers.upsert_many([customer])
    assert stores.customers.get(customer.id) == customer
    assert stores.customers.team_of("m001") == "t01"


def test_checkin_mark_applies_only_once(stores):
    visit = make_visit(make_customer(), "2026-11-23")
    stores.visits.insert_many([visit])
    assert stores.visits.mark_checked_in(visit.id, "ck1", AT)
    assert not stores.visits.mark_checked_in(visit.id, "ck2", AT)
    stored = stores.visits.get(visit.id)
    assert (stored.status, stored.checkin_id, stored.checked_in_at) == (VisitStatus.CHECKED_IN, "ck1", AT)


def test_stale_version_write_is_refused(stores):
    visit = make_visit(make_customer(), "2026-11-23")
    stores.visits.insert_many([visit])
    assert stores.visits.save_if_version(dataclasses.replace(visit, summary="a"), 0)
    assert not stores.visits.save_if_version(dataclasses.replace(visit, summary="b"), 0)
    stored = stores.visits.get(visit.id)
    assert (stored.summary, stored.version) == ("a", 1)


def test_day_list_comes_in_plan_order(stores):
    a, b, c = make_customer(), make_customer(), make_customer()
    stores.visits.insert_many(
        [make_visit(c, "2026-11-23", 3), make_visit(a, "2026-11-23", 1), make_visit(b, "2026-11-23", 2)]
    )
    assert [v.customer_id for v in stores.visits.for_day("m001", "2026-11-23")] == [a.id, b.id, c.id]


def test_loading_the_task_library_twice_keeps_one_entry_per_code(stores):
    from planning.demo import TASK_LIBRARY

    stores.library.put_many(TASK_LIBRARY)
    stores.library.put_many(TASK_LIBRARY)
    assert [t.code for t in stores.library.list_all()] == sorted(t.code for t in TASK_LIBRARY)
