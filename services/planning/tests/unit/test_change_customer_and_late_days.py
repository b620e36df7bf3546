"""Change customer (§1.5.2, R-1.5.2-a/b/e) and late offline days (R-1.3.3-c) as pure rules."""

from datetime import UTC, date, datetime

import pytest

from baifang_common.context import Caller
from planning.domain import rules
from planning.domain.errors import (
    LateUploadExpired,
    NoTasksChosen,
    NotCheckedIn,
    NotYourCustomer,
    UnknownTaskCode,
    VisitClosed,
)
from planning.domain.model import Customer, LibraryTask, Task, Visit, VisitMethod, VisitStatus

LIBRARY = (LibraryTask("T01", "陈列检查", "basic", "检查陈列"), LibraryTask("T02", "价格检查", "basic", "核对价格"))
OUTLET = Customer("cu1", "C1", "王记便利店", manager_id="m001", team_id="t01")
DAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def missed(method: VisitMethod = VisitMethod.ON_SITE) -> Visit:
    task = Task("v1.t1", "T01", "陈列检查", "basic", "检查陈列")
    return Visit("v1", "m001", "t01", DAY.isoformat(), "cu1", method=method, status=VisitStatus.MISSED, tasks=(task,))


@pytest.mark.parametrize(
    ("caller", "scope", "allowed"),
    [
        (Caller("m001", "manager", "t01"), rules.ServingScope.OWN, True),
        (Caller("m002", "manager", "t01"), rules.ServingScope.OWN, False),
        (Caller("m002", "manager", "t01"), rules.ServingScope.TEAM, True),
        (Caller("m011", "manager", "t02"), rules.ServingScope.TEAM, False),
        (Caller("s01", "supervisor", "t01"), rules.ServingScope.OWN, True),
        (Caller("s02", "supervisor", "t02"), rules.ServingScope.TEAM, False),
        (Caller("admin", "admin", ""), rules.ServingScope.OWN, True),
    ],
)
def test_serving_scope_is_own_customers_and_the_team_when_covering(caller, scope, allowed):
    assert rules.may_serve(caller, OUTLET, scope) is allowed
    if not allowed:
        with pytest.raises(NotYourCustomer):
            rules.ensure_may_serve(caller, OUTLET, scope)


def test_a_temporary_visit_needs_library_tasks_and_keeps_their_order():
    with pytest.raises(NoTasksChosen):
        rules.choose_tasks([" ", ""], LIBRARY)
    with pytest.raises(UnknownTaskCode) as refused:
        rules.choose_tasks(["T01", "X9"], LIBRARY)
    assert refused.value.details == {"task_codes": ["X9"]}
    chosen = rules.choose_tasks(["T02", "T01", "T02"], LIBRARY)
    visit = rules.temporary_visit("tv1", Caller("m002", "manager", "t01"), OUTLET, "2026-11-23", chosen, 7)
    assert (visit.temporary, visit.manager_id, visit.status, visit.order) == (True, "m002", VisitStatus.PLANNED, 7)
    assert [(t.task_id, t.code) for t in visit.tasks] == [("tv1.t1", "T02"), ("tv1.t2", "T01")]


def test_temporary_visits_count_as_planned_with_their_flag():
    visit = rules.temporary_visit("tv1", Caller("m001", "manager", "t01"), OUTLET, "2026-11-23", LIBRARY, 1)
    counts = rules.visit_counts(visit)
    assert (counts.planned_customers, counts.planned_tasks, counts.temporary_customers) == (1, 2, 1)


def test_a_missed_day_checked_in_late_within_the_window_reopens():
    window = rules.LateWindow(date(2026, 11, 26), 3)
    assert rules.checkin_decision(missed(), DAY, window) == rules.CheckinDecision.APPLY


def test_a_missed_day_past_the_window_is_refused_with_its_own_code():
    with pytest.raises(LateUploadExpired):
        rules.checkin_decision(missed(), DAY, rules.LateWindow(date(2026, 11, 27), 3))


def test_work_of_another_day_or_without_a_window_finds_the_missed_visit_closed():
    with pytest.raises(VisitClosed):
        rules.checkin_decision(missed(), date(2026, 11, 24), rules.LateWindow(date(2026, 11, 24), 3))
    with pytest.raises(VisitClosed):
        rules.checkin_decision(missed())


def test_late_tasks_of_a_missed_on_site_visit_still_need_the_checkin_first():
    window = rules.LateWindow(date(2026, 11, 24), 3)
    with pytest.raises(NotCheckedIn):
        rules.complete_task(missed(), "v1.t1", note="", client_ts="t", now=NOW, client_day=DAY, window=window)


def test_a_late_phone_visit_completes_from_missed():
    window = rules.LateWindow(date(2026, 11, 24), 3)
    done, changed = rules.complete_visit(
        missed(VisitMethod.PHONE), summary="", next_steps="", client_ts="t", now=NOW, client_day=DAY, window=window
    )
    assert changed and done.status == VisitStatus.COMPLETED
