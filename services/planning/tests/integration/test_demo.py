"""A small demo load: records through planning's stores and the events other services need."""

from __future__ import annotations

from datetime import date

import pytest

from baifang_common.demo import demo_org
from planning.demo import load_demo, plan_days
from planning.domain.model import VisitStatus

pytestmark = pytest.mark.integration
TODAY = date(2026, 11, 21)  # a Saturday: today is planned whatever the weekday


def test_small_demo_load_is_consistent_and_published(settings, stores, event_probe):
    probe = event_probe("planning", "#")
    org = demo_org(managers=3)
    counts = load_demo(settings, org, today=TODAY, reset=True, customers=60, seed=3)

    days = plan_days(TODAY)
    assert TODAY in days and date(2026, 11, 22) not in days and len(days) == 22
    assert counts["customers"] == 60 and counts["managers"] == 3 and counts["days"] == len(days)
    assert counts["visits"] == counts["visits_inserted"]
    today_list = stores.visits.for_day("m001", TODAY.isoformat())
    assert 15 <= len(today_list) <= 20 and all(v.status == VisitStatus.PLANNED for v in today_list)
    assert [v.order for v in today_list] == list(range(1, len(today_list) + 1))
    past = stores.visits.for_day("m001", "2026-11-02")
    assert any(v.status == VisitStatus.COMPLETED for v in past)
    own = {c: stores.customers.get(c).manager_id for c in (v.customer_id for v in today_list)}
    assert set(own.values()) == {"m001"}
    assert len(stores.library.list_all()) == 12

    bodies = probe.wait(counts["events"], timeout=30)
    kinds = {b["event_type"] for b in bodies}
    assert {"customer.upserted", "customer.assigned", "visit_plan.published", "visit.completed"} <= kinds
    assert sum(b["event_type"] == "visit_plan.published" for b in bodies) == 3 * len(days)

    again = load_demo(settings, org, today=TODAY, reset=False, customers=60, seed=3, publish=False)
    assert again["visits_inserted"] == 0
