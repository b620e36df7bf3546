"""The visit state machine (DOMAIN §3.4) and ownership, as pure functions."""

from datetime import UTC, date, datetime

import pytest

from baifang_common.context import Caller
from planning.domain import rules
from planning.domain.errors import Forbidden, NotCheckedIn, TaskNotFound, VisitClosed
from planning.domain.model import Task, TaskStatus, Visit, VisitMethod, VisitStatus

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def visit(status: VisitStatus = VisitStatus.PLANNED, method: VisitMethod = VisitMethod.ON_SITE) -> Visit:
    tasks = (
        Task("v1.t1", "T01", "陈列检查", "basic", "检查陈列"),
        Task("v1.t2", "T02", "价格检查", "basic", "核对价格"),
    )
    return Visit("v1", "m001", "t01", "2026-11-23", "cu1", method=method, status=status, tasks=tasks)


def test_planned_visit_can_be_checked_in():
    assert rules.checkin_decision(visit()) == rules.CheckinDecision.APPLY


@pytest.mark.parametrize("status", [VisitStatus.CHECKED_IN, VisitStatus.COMPLETED])
def test_second_checkin_returns_first(status):
    assert rules.checkin_decision(visit(status)) == rules.CheckinDecision.ALREADY


def test_missed_visit_cannot_be_checked_in():
    with pytest.raises(VisitClosed):
        rules.checkin_decision(visit(VisitStatus.MISSED))


def test_task_before_checkin_is_refused():
    with pytest.raises(NotCheckedIn):
        rules.complete_task(visit(), "v1.t1", note="", client_ts="t", now=NOW)


def test_phone_visit_tasks_need_no_checkin():
    done, changed = rules.complete_task(
        visit(method=VisitMethod.PHONE), "v1.t1", note="电话沟通", client_ts="t", now=NOW
    )
    assert changed
    assert done.task("v1.t1").status == TaskStatus.DONE
    assert done.task("v1.t1").note == "电话沟通"


def test_completing_a_done_task_again_changes_nothing():
    once, _ = rules.complete_task(visit(VisitStatus.CHECKED_IN), "v1.t1", note="a", client_ts="t1", now=NOW)
    twice, changed = rules.complete_task(once, "v1.t1", note="b", client_ts="t2", now=NOW)
    assert not changed
    assert twice.task("v1.t1").note == "a"


def test_unknown_task_is_not_found():
    with pytest.raises(TaskNotFound):
        rules.complete_task(visit(VisitStatus.CHECKED_IN), "nope", note="", client_ts="t", now=NOW)


@pytest.mark.parametrize("status", [VisitStatus.COMPLETED, VisitStatus.MISSED])
def test_tasks_of_a_closed_visit_are_refused(status):
    with pytest.raises(VisitClosed):
        rules.complete_task(visit(status), "v1.t1", note="", client_ts="t", now=NOW)


def test_completion_with_open_tasks_is_allowed_and_they_stay_open():
    done, changed = rules.complete_visit(
        visit(VisitStatus.CHECKED_IN), summary="好", next_steps="", client_ts="t", now=NOW
    )
    assert changed
    assert done.status == VisitStatus.COMPLETED
    assert done.tasks_done == 0
    assert done.tasks_total == 2


def test_completion_before_checkin_is_refused():
    with pytest.raises(NotCheckedIn):
        rules.complete_visit(visit(), summary="", next_steps="", client_ts="t", now=NOW)


def test_phone_visit_completes_without_checkin():
    done, _ = rules.complete_visit(visit(method=VisitMethod.PHONE), summary="", next_steps="", client_ts="t", now=NOW)
    assert done.status == VisitStatus.COMPLETED


def test_second_completion_is_idempotent():
    once, _ = rules.complete_visit(visit(VisitStatus.CHECKED_IN), summary="a", next_steps="", client_ts="t", now=NOW)
    twice, changed = rules.complete_visit(once, summary="b", next_steps="", client_ts="t2", now=NOW)
    assert not changed
    assert twice.summary == "a"


def test_missed_visit_cannot_be_completed():
    with pytest.raises(VisitClosed):
        rules.complete_visit(visit(VisitStatus.MISSED), summary="", next_steps="", client_ts="t", now=NOW)


def test_only_past_planned_visits_are_overdue():
    assert rules.is_overdue(visit(), date(2026, 11, 24))
    assert not rules.is_overdue(visit(), date(2026, 11, 23))
    assert not rules.is_overdue(visit(VisitStatus.CHECKED_IN), date(2026, 11, 24))


def test_manager_reads_own_supervisor_team_admin_all():
    rules.ensure_can_read(Caller("m001", "manager", "t01"), "m001", "t01")
    rules.ensure_can_read(Caller("s01", "supervisor", "t01"), "m001", "t01")
    rules.ensure_can_read(Caller("admin", "admin"), "m001", "t01")


@pytest.mark.parametrize("caller", [Caller("m002", "manager", "t01"), Caller("s02", "supervisor", "t02"), None])
def test_others_cannot_read_a_visit(caller):
    with pytest.raises(Forbidden):
        rules.ensure_can_read(caller, "m001", "t01")


def test_only_the_owner_works_on_a_visit():
    rules.ensure_can_write(Caller("m001", "manager", "t01"), visit())
    with pytest.raises(Forbidden):
        rules.ensure_can_write(Caller("s01", "supervisor", "t01"), visit())
