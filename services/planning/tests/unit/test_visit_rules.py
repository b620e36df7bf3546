"""The visit state machine (docs/domain.md §3.4) and ownership, as pure functions."""

import dataclasses
from datetime import UTC, date, datetime

import pytest

from baifang_common.context import Caller
from planning.domain import rules
from planning.domain.errors import (
    Forbidden,
    InvalidUnplannedText,
    NotCheckedIn,
    TaskNotFound,
    TaskOnlineOnly,
    VisitClosed,
)
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


@pytest.mark.parametrize("caller", [Caller("m002", "manager", "t01"), Caller("s02", "supervisor", "t02")])
def test_others_cannot_read_a_visit(caller):
    with pytest.raises(Forbidden):
        rules.ensure_can_read(caller, "m001", "t01")


def test_only_the_owner_works_on_a_visit():
    rules.ensure_can_write(Caller("m001", "manager", "t01"), visit())
    with pytest.raises(Forbidden):
        rules.ensure_can_write(Caller("s01", "supervisor", "t01"), visit())


def test_a_service_on_its_own_account_works_on_any_visit_and_checks_in_for_any_manager():
    rules.ensure_can_write(Caller.service("planning"), visit())
    rules.ensure_service_or_owner(Caller.service("checkin"), "m001")
    rules.ensure_service_or_owner(Caller("m001", "manager", "t01"), "m001")
    with pytest.raises(Forbidden):
        rules.ensure_service_or_owner(Caller("m002", "manager", "t01"), "m001")


def test_unplanned_task_is_appended_with_client_time_and_kept_out_of_the_counts():
    once, changed = rules.add_unplanned_task(
        visit(VisitStatus.CHECKED_IN),
        text="  帮助整理货架  ",
        client_ts="2026-11-23T10:00:00+08:00",
        now=NOW,
        op_id="o1",
    )
    twice, _ = rules.add_unplanned_task(once, text="回收旧海报", client_ts="t2", now=NOW, op_id="o2")
    assert changed
    assert [(u.text, u.client_ts, u.op_id) for u in twice.unplanned_tasks] == [
        ("帮助整理货架", "2026-11-23T10:00:00+08:00", "o1"),
        ("回收旧海报", "t2", "o2"),
    ]
    assert rules.visit_counts(twice) == rules.visit_counts(visit(VisitStatus.CHECKED_IN))


def test_unplanned_task_with_a_known_op_id_changes_nothing():
    once, _ = rules.add_unplanned_task(visit(VisitStatus.CHECKED_IN), text="a", client_ts="t", now=NOW, op_id="o1")
    again, changed = rules.add_unplanned_task(once, text="a", client_ts="t", now=NOW, op_id="o1")
    assert (again, changed) == (once, False)


def test_unplanned_task_needs_checkin_except_on_phone_visits_and_is_closed_after_completion():
    with pytest.raises(NotCheckedIn):
        rules.add_unplanned_task(visit(), text="a", client_ts="t", now=NOW, op_id="o1")
    phone, _ = rules.add_unplanned_task(visit(method=VisitMethod.PHONE), text="a", client_ts="t", now=NOW, op_id="o1")
    assert len(phone.unplanned_tasks) == 1
    for status in (VisitStatus.COMPLETED, VisitStatus.MISSED):
        with pytest.raises(VisitClosed):
            rules.add_unplanned_task(visit(status), text="a", client_ts="t", now=NOW, op_id="o1")


@pytest.mark.parametrize("text", ["", "   ", "字" * (rules.MAX_UNPLANNED_TEXT + 1)])
def test_unplanned_task_text_must_be_present_and_bounded(text):
    with pytest.raises(InvalidUnplannedText):
        rules.add_unplanned_task(visit(VisitStatus.CHECKED_IN), text=text, client_ts="t", now=NOW, op_id="o1")


def test_offline_completion_of_a_collection_task_is_refused_but_a_basic_one_is_marked_offline():
    collection = Task("v1.t3", "T04", "价库采集", "collection:price_inventory", "采集")
    checked_in = dataclasses.replace(visit(VisitStatus.CHECKED_IN), tasks=(*visit().tasks, collection))
    with pytest.raises(TaskOnlineOnly):
        rules.complete_task(checked_in, "v1.t3", note="", client_ts="t", now=NOW, offline=True)
    online, _ = rules.complete_task(checked_in, "v1.t3", note="", client_ts="t", now=NOW)
    basic, _ = rules.complete_task(checked_in, "v1.t1", note="", client_ts="t", now=NOW, offline=True)
    assert online.task("v1.t3").done and not online.task("v1.t3").offline
    assert basic.task("v1.t1").offline
