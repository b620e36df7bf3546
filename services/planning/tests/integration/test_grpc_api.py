"""The gRPC API through the real server and interceptors, with caller identity in metadata."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest

from baifang.common.v1 import common_pb2
from baifang.planning.v1 import planning_pb2 as pb
from baifang.planning.v1 import planning_pb2_grpc
from baifang_common.qr import qr_signature_ok, sign_qr
from baifang_common.testing.calls import caller_md, rpc_error
from baifang_common.testing.plugin import unique
from planning import bootstrap
from planning.demo import TASK_LIBRARY
from planning.domain.appointments import Appointment
from planning.domain.model import VisitMethod, VisitStatus
from planning.grpc_api import servicer
from planning.usecases.events import event_id

from .builders import make_customer, make_visit

pytestmark = pytest.mark.integration

DAY = "2026-11-25"  # a Wednesday
M001 = ("m001", "manager", "t01")
M002 = ("m002", "manager", "t01")
S01 = ("s01", "supervisor", "t01")
S02 = ("s02", "supervisor", "t02")
ADMIN = ("admin", "admin", "")
CHECKIN = ("checkin", "service", "")  # the checkin service on its own account


def md(who: tuple[str, str, str], via: str = "") -> list[tuple[str, str]]:
    """Signed by the gateway, or by the service `via` acting for this user (MarkCheckedIn is checkin's)."""
    return caller_md(*who, issuer=via)


@pytest.fixture
def deps(settings) -> Iterator[bootstrap.GrpcDeps]:
    built = bootstrap.build_grpc(settings)
    yield built
    built.close()


@pytest.fixture
def stub(deps, grpc_server) -> planning_pb2_grpc.PlanningServiceStub:
    _, channel = grpc_server([servicer(deps)])
    return planning_pb2_grpc.PlanningServiceStub(channel)


@pytest.fixture
def plan(deps) -> dict[str, Any]:
    """m001's day: three on-site visits and one phone visit; m002 has one visit."""
    mine = [make_customer("m001", "t01") for _ in range(4)]
    other = make_customer("m002", "t01")
    deps.customers.upsert_many([*mine, other])
    visits = [make_visit(c, DAY, order=4 - i) for i, c in enumerate(mine[:3])]
    phone = make_visit(mine[3], DAY, order=9, method=VisitMethod.PHONE)
    others = make_visit(other, DAY)
    deps.visits.insert_many([*visits, phone, others])
    deps.library.put_many(TASK_LIBRARY)
    return {"customers": mine, "visits": visits, "phone": phone, "other": others, "other_customer": other}


def op(op_id: str = "", client_ts: str = "2026-11-25T10:00:00+08:00") -> common_pb2.OpMeta:
    return common_pb2.OpMeta(op_id=op_id or unique("op"), client_ts=client_ts)


def test_manager_lists_own_visits_in_plan_order_with_customer_cards(stub, plan):
    answer = stub.ListVisits(pb.ListVisitsRequest(date=DAY), metadata=md(M001))
    assert [v.order for v in answer.visits] == [2, 3, 4, 9]
    first = answer.visits[0]
    assert first.customer.name == "王记便利店"
    assert first.customer.location.lat == pytest.approx(31.82)
    assert (first.status, first.tasks_total, first.tasks_done) == ("planned", 2, 0)


def test_supervisor_lists_a_team_members_visits_but_not_another_teams(stub, plan):
    answer = stub.ListVisits(pb.ListVisitsRequest(date=DAY, manager_id="m001"), metadata=md(S01))
    assert len(answer.visits) == 4
    error = rpc_error(lambda: stub.ListVisits(pb.ListVisitsRequest(date=DAY, manager_id="m001"), metadata=md(S02)))
    assert (error.status, error.code) == (grpc.StatusCode.PERMISSION_DENIED, "forbidden")


def test_visit_detail_is_visible_to_owner_supervisor_and_admin_only(stub, plan):
    visit_id = plan["visits"][0].id
    for who in (M001, S01, ADMIN):
        detail = stub.GetVisit(pb.GetVisitRequest(visit_id=visit_id), metadata=md(who)).visit
        assert [t.method for t in detail.tasks] == ["检查卷烟陈列", "采集价格和库存"]
    for who in (M002, S02):
        error = rpc_error(lambda who=who: stub.GetVisit(pb.GetVisitRequest(visit_id=visit_id), metadata=md(who)))
        assert (error.status, error.code) == (grpc.StatusCode.PERMISSION_DENIED, "forbidden")


def test_calls_without_a_caller_are_unauthenticated(stub, plan):
    visit = plan["visits"][0]
    calls = [
        lambda: stub.GetVisit(pb.GetVisitRequest(visit_id=visit.id)),
        lambda: stub.CompleteTask(pb.CompleteTaskRequest(op=op(), visit_id=visit.id, task_id=visit.tasks[0].task_id)),
        lambda: stub.MarkCheckedIn(pb.MarkCheckedInRequest(visit_id=visit.id, checkin_id="ck1")),
    ]
    for call in calls:
        error = rpc_error(call)
        assert (error.status, error.code) == (grpc.StatusCode.UNAUTHENTICATED, "unauthenticated")


def test_unknown_visit_is_not_found(stub, plan):
    error = rpc_error(lambda: stub.GetVisit(pb.GetVisitRequest(visit_id="nope"), metadata=md(M001)))
    assert (error.status, error.code) == (grpc.StatusCode.NOT_FOUND, "visit_not_found")


def test_task_before_checkin_is_a_conflict(stub, plan):
    visit = plan["visits"][0]
    request = pb.CompleteTaskRequest(op=op(), visit_id=visit.id, task_id=visit.tasks[0].task_id)
    error = rpc_error(lambda: stub.CompleteTask(request, metadata=md(M001)))
    assert (error.status, error.code) == (grpc.StatusCode.FAILED_PRECONDITION, "not_checked_in")


def test_someone_elses_visit_cannot_be_worked_on(stub, plan):
    visit = plan["other"]
    request = pb.CompleteTaskRequest(op=op(), visit_id=visit.id, task_id=visit.tasks[0].task_id)
    error = rpc_error(lambda: stub.CompleteTask(request, metadata=md(M001)))
    assert error.code == "forbidden"


def test_phone_visit_tasks_complete_without_checkin(stub, plan):
    visit = plan["phone"]
    answer = stub.CompleteTask(
        pb.CompleteTaskRequest(op=op(), visit_id=visit.id, task_id=visit.tasks[0].task_id), metadata=md(M001)
    )
    assert answer.task.status == "done"


def test_mark_checked_in_is_idempotent_and_keeps_the_first_checkin(stub, plan):
    visit_id = plan["visits"][0].id
    first = stub.MarkCheckedIn(
        pb.MarkCheckedInRequest(visit_id=visit_id, checkin_id="ck1", checked_in_at="2026-11-25T09:00:00+08:00"),
        metadata=md(M001, via="checkin"),
    )
    again = stub.MarkCheckedIn(
        pb.MarkCheckedInRequest(visit_id=visit_id, checkin_id="ck2"), metadata=md(M001, via="checkin")
    )
    assert (first.checkin_id, again.checkin_id) == ("ck1", "ck1")
    assert again.visit.status == "checked_in"
    assert again.visit.checked_in_at == "2026-11-25T01:00:00+00:00"


def test_task_completion_is_published_and_a_replayed_op_returns_the_first_answer(stub, plan, event_probe):
    probe = event_probe("planning", "task.completed")
    visit = plan["visits"][0]
    task_id = visit.tasks[0].task_id
    stub.MarkCheckedIn(pb.MarkCheckedInRequest(visit_id=visit.id, checkin_id="ck1"), metadata=md(M001, via="checkin"))
    request = pb.CompleteTaskRequest(op=op("op-1"), visit_id=visit.id, task_id=task_id, note="陈列良好")
    first = stub.CompleteTask(request, metadata=md(M001))
    stub.CompleteVisit(pb.CompleteVisitRequest(op=op(), visit_id=visit.id, summary="好"), metadata=md(M001))

    replay = stub.CompleteTask(request, metadata=md(M001))
    assert (replay.visit, replay.task) == (first.visit, first.task)
    assert (first.replayed, replay.replayed) == (False, True)
    assert (replay.visit.status, replay.visit.tasks_done, replay.task.note) == ("checked_in", 1, "陈列良好")
    bodies = probe.wait(1)
    assert bodies[0]["event_id"] == event_id("task.completed", visit.id, task_id)
    assert (bodies[0]["task_code"], bodies[0]["client_ts"], bodies[0]["op_id"]) == (
        "T01",
        "2026-11-25T10:00:00+08:00",
        "op-1",
    )


def test_completed_visit_is_final_and_repeats_republish_the_same_event(stub, plan, event_probe):
    probe = event_probe("planning", "visit.completed")
    visit = plan["visits"][1]
    stub.MarkCheckedIn(pb.MarkCheckedInRequest(visit_id=visit.id, checkin_id="ck9"), metadata=md(M001, via="checkin"))
    done = stub.CompleteVisit(
        pb.CompleteVisitRequest(op=op(), visit_id=visit.id, summary="客户经营正常", next_steps="下周回访"),
        metadata=md(M001),
    )
    again = stub.CompleteVisit(pb.CompleteVisitRequest(op=op(), visit_id=visit.id, summary="x"), metadata=md(M001))
    assert done.visit.status == again.visit.status == "completed"
    assert (again.visit.summary, again.visit.next_steps, again.visit.tasks_done) == ("客户经营正常", "下周回访", 0)

    task = pb.CompleteTaskRequest(op=op(), visit_id=visit.id, task_id=visit.tasks[0].task_id)
    error = rpc_error(lambda: stub.CompleteTask(task, metadata=md(M001)))
    assert (error.status, error.code) == (grpc.StatusCode.FAILED_PRECONDITION, "visit_closed")
    bodies = probe.wait(2)
    assert {b["event_id"] for b in bodies} == {event_id("visit.completed", visit.id)}
    assert bodies[0]["checked_in_at"] and bodies[0]["tasks_total"] == 2


def test_plan_summary_counts_the_week(stub, plan):
    visit = plan["visits"][0]
    stub.MarkCheckedIn(pb.MarkCheckedInRequest(visit_id=visit.id, checkin_id="ck1"), metadata=md(M001, via="checkin"))
    stub.CompleteTask(
        pb.CompleteTaskRequest(op=op(), visit_id=visit.id, task_id=visit.tasks[0].task_id), metadata=md(M001)
    )
    stub.CompleteVisit(pb.CompleteVisitRequest(op=op(), visit_id=visit.id), metadata=md(M001))
    week = stub.GetPlanSummary(pb.GetPlanSummaryRequest(period="week", date=DAY), metadata=md(M001))
    assert (week.start, week.end, len(week.rows)) == ("2026-11-23", "2026-11-29", 7)
    c = week.counts
    assert (c.planned_customers, c.completed_customers, c.planned_tasks, c.executed_tasks) == (4, 1, 8, 1)
    error = rpc_error(lambda: stub.GetPlanSummary(pb.GetPlanSummaryRequest(period="year", date=DAY), metadata=md(M001)))
    assert error.status == grpc.StatusCode.INVALID_ARGUMENT


def test_task_library_lists_work_methods(stub, plan):
    tasks = stub.ListTaskLibrary(pb.ListTaskLibraryRequest(), metadata=md(M001)).tasks
    assert len(tasks) == len(TASK_LIBRARY)
    assert all(t.method for t in tasks)
    assert {"basic", "collection:price_inventory"} <= {t.kind for t in tasks}


def test_admin_gets_a_signed_qr_that_verifies_and_others_are_refused(stub, plan):
    customer = plan["customers"][0]
    qr = stub.GetCustomerQr(pb.GetCustomerQrRequest(customer_id=customer.id), metadata=md(ADMIN)).qr
    assert qr_signature_ok(qr, customer.qr_secret)
    error = rpc_error(lambda: stub.GetCustomerQr(pb.GetCustomerQrRequest(customer_id=customer.id), metadata=md(M001)))
    assert error.code == "forbidden"


def test_resolve_for_checkin_returns_the_visit_only_when_on_the_list(stub, plan):
    customer = plan["customers"][0]
    found = stub.ResolveVisitForCheckin(
        pb.ResolveVisitForCheckinRequest(
            manager_id="m001", customer_id=customer.id, date=DAY, qr=sign_qr(customer.id, customer.qr_secret)
        ),
        metadata=md(CHECKIN),
    )
    assert (found.customer.id, found.qr_valid, found.visit.visit_id) == (customer.id, True, plan["visits"][0].id)
    elsewhere = stub.ResolveVisitForCheckin(
        pb.ResolveVisitForCheckinRequest(manager_id="m001", customer_id=plan["other_customer"].id, date=DAY),
        metadata=md(CHECKIN),
    )
    assert elsewhere.customer.id and not elsewhere.HasField("visit")
    error = rpc_error(
        lambda: stub.ResolveVisitForCheckin(
            pb.ResolveVisitForCheckinRequest(manager_id="m001", customer_id="x", date=DAY), metadata=md(CHECKIN)
        )
    )
    assert (error.status, error.code) == (grpc.StatusCode.NOT_FOUND, "customer_not_found")


def test_resolve_for_checkin_answers_a_verdict_and_never_the_outlets_secret(stub, plan):
    customer = plan["customers"][0]
    forged = sign_qr(customer.id, "a guessed secret")
    found = stub.ResolveVisitForCheckin(
        pb.ResolveVisitForCheckinRequest(manager_id="m001", customer_id=customer.id, date=DAY, qr=forged),
        metadata=md(CHECKIN),
    )
    assert found.qr_valid is False
    assert customer.qr_secret.encode() not in found.SerializeToString()
    # No response message of planning has a field for the secret.
    assert not [
        (m.name, f.name) for m in pb.DESCRIPTOR.message_types_by_name.values() for f in m.fields if "secret" in f.name
    ]


def check_in(stub, customer, checkin_id: str, qr: str = "", visit_id: str = "") -> pb.CheckInVisitResponse:
    request = pb.CheckInVisitRequest(
        manager_id="m001",
        customer_id=customer.id,
        date=DAY,
        qr=qr or sign_qr(customer.id, customer.qr_secret),
        checkin_id=checkin_id,
        checked_in_at="2026-11-25T09:58:00+08:00",
        visit_id=visit_id,
    )
    return stub.CheckInVisit(request, metadata=md(M001, via="checkin"))


def test_check_in_visit_marks_the_visit_once_and_answers_the_appointment_time(stub, plan, deps):
    customer, visit = plan["customers"][0], plan["visits"][0]
    scheduled = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in the company time zone
    appointment = Appointment(
        unique("ap"), "m001", "t01", customer.id, scheduled - timedelta(days=2), scheduled, 30, "新品介绍", DAY
    )
    assert deps.appointments.insert(appointment)

    first = check_in(stub, customer, "ck1")
    again = check_in(stub, customer, "ck2")

    assert (first.checkin_id, first.visit.visit_id, first.visit.status) == ("ck1", visit.id, "checked_in")
    assert datetime.fromisoformat(first.appointment_at) == scheduled
    assert (again.checkin_id, again.appointment_at) == ("ck1", "")  # the first check-in holds the visit
    assert check_in(stub, customer, "ck1").appointment_at == first.appointment_at  # a retry answers the same
    stored = deps.visits.get(visit.id)
    assert stored is not None
    assert (stored.status.value, stored.checkin_id, stored.version) == ("checked_in", "ck1", visit.version + 1)


def test_concurrent_check_ins_of_one_visit_mark_it_once_and_all_answer_the_holder(stub, plan, deps):
    """Each write is conditional on the visit being planned: of eight check-ins racing for it (half naming
    the chosen visit, marked in one write, half scanning only) exactly one marks it, and each of the
    others is answered with that one."""
    customer, visit = plan["customers"][0], plan["visits"][0]
    ids = [f"ck{n}" for n in range(8)]
    with ThreadPoolExecutor(max_workers=len(ids)) as pool:
        answers = list(pool.map(lambda n: check_in(stub, customer, ids[n], visit_id=visit.id * (n % 2)), range(8)))

    holders = {a.checkin_id for a in answers}
    assert len(holders) == 1
    holder = holders.pop()
    assert holder in ids
    assert [a.marked_before for a in answers] == [False] * len(ids)
    stored = deps.visits.get(visit.id)
    assert (stored.status.value, stored.checkin_id, stored.version) == ("checked_in", holder, visit.version + 1)


def test_a_retried_check_in_is_told_it_held_the_visit_before_and_a_completed_visit_keeps_its_first(stub, plan, deps):
    """marked_before tells checkin its check-in is likely stored (a replay reads it instead of inserting);
    a completed visit is no longer planned, so it is read and answers its first check-in, unchanged."""
    for n, chosen in enumerate((False, True)):
        customer, visit = plan["customers"][n], plan["visits"][n]
        visit_id = visit.id if chosen else ""
        first = check_in(stub, customer, "ck1", visit_id=visit_id)
        retry = check_in(stub, customer, "ck1", visit_id=visit_id)
        other = check_in(stub, customer, "ck2", visit_id=visit_id)
        assert [(a.checkin_id, a.marked_before) for a in (first, retry, other)] == [
            ("ck1", False),
            ("ck1", True),
            ("ck1", False),
        ]
        assert (retry.visit.visit_id, retry.visit.status) == (visit.id, "checked_in")

    done_customer, done = plan["customers"][2], plan["visits"][2]
    completed = dataclasses.replace(done, status=VisitStatus.COMPLETED, checkin_id="ck-done")
    assert deps.visits.save_if_version(completed, done.version)
    for visit_id in ("", done.id):
        late = check_in(stub, done_customer, "ck3", visit_id=visit_id)
        assert (late.checkin_id, late.visit.status, late.marked_before) == ("ck-done", "completed", False)
    assert deps.visits.get(done.id).version == done.version + 1  # no write


def test_check_in_visit_marks_nothing_for_a_forged_code_another_chosen_visit_or_an_outlet_off_the_list(stub, plan):
    customer, visit = plan["customers"][0], plan["visits"][0]
    forged = check_in(stub, customer, "ck1", qr=sign_qr(customer.id, "a guessed secret"))
    chosen_other = check_in(stub, customer, "ck1", visit_id=plan["visits"][1].id)
    off_list = check_in(stub, plan["other_customer"], "ck1")

    assert (forged.qr_valid, forged.checkin_id, forged.visit.status) == (False, "", "planned")
    assert (chosen_other.qr_valid, chosen_other.checkin_id, chosen_other.visit.visit_id) == (True, "", visit.id)
    assert (off_list.checkin_id, off_list.HasField("visit")) == ("", False)
    gateway_call = rpc_error(
        lambda: stub.CheckInVisit(pb.CheckInVisitRequest(manager_id="m001", customer_id=customer.id), metadata=md(M001))
    )
    assert gateway_call.status == grpc.StatusCode.PERMISSION_DENIED


def test_unplanned_task_is_appended_once_per_op_id_and_published_with_a_fixed_event_id(stub, plan, event_probe):
    probe = event_probe("planning", "unplanned_task.recorded")
    visit = plan["visits"][2]
    request = pb.AddUnplannedTaskRequest(op=op("op-u1"), visit_id=visit.id, text="协助客户整理陈列柜")
    error = rpc_error(lambda: stub.AddUnplannedTask(request, metadata=md(M001)))
    assert (error.status, error.code) == (grpc.StatusCode.FAILED_PRECONDITION, "not_checked_in")

    stub.MarkCheckedIn(pb.MarkCheckedInRequest(visit_id=visit.id, checkin_id="ck1"), metadata=md(M001, via="checkin"))
    first = stub.AddUnplannedTask(request, metadata=md(M001))
    replay = stub.AddUnplannedTask(request, metadata=md(M001))

    assert (first.replayed, replay.replayed, replay.visit) == (False, True, first.visit)
    assert [(u.text, u.client_ts) for u in first.visit.unplanned_tasks] == [
        ("协助客户整理陈列柜", "2026-11-25T10:00:00+08:00")
    ]
    assert first.visit.tasks_total == 2  # not a plan task
    (body,) = probe.wait(1)
    assert body["event_id"] == event_id("unplanned_task.recorded", visit.id, "op-u1")
    assert (body["text"], body["op_id"], body["manager_id"]) == ("协助客户整理陈列柜", "op-u1", "m001")
    assert (body["team_id"], body["date"]) == (visit.team_id, visit.date)  # the manager-day analytics counts it in

    missing_op = pb.AddUnplannedTaskRequest(visit_id=visit.id, text="x")
    assert rpc_error(lambda: stub.AddUnplannedTask(missing_op, metadata=md(M001))).code == "invalid_argument"
    stub.CompleteVisit(pb.CompleteVisitRequest(op=op(), visit_id=visit.id), metadata=md(M001))
    late = pb.AddUnplannedTaskRequest(op=op(), visit_id=visit.id, text="补记")
    assert rpc_error(lambda: stub.AddUnplannedTask(late, metadata=md(M001))).code == "visit_closed"
    other = pb.AddUnplannedTaskRequest(op=op(), visit_id=plan["other"].id, text="x")
    assert rpc_error(lambda: stub.AddUnplannedTask(other, metadata=md(M001))).code == "forbidden"


def test_offline_task_completion_is_flagged_and_a_collection_task_is_online_only(stub, plan, event_probe):
    probe = event_probe("planning", "task.completed")
    visit = plan["visits"][0]
    stub.MarkCheckedIn(pb.MarkCheckedInRequest(visit_id=visit.id, checkin_id="ck1"), metadata=md(M001, via="checkin"))
    offline = common_pb2.OpMeta(op_id=unique("op"), client_ts="2026-11-25T10:00:00+08:00", offline=True)
    basic, collection = visit.tasks
    done = stub.CompleteTask(
        pb.CompleteTaskRequest(op=offline, visit_id=visit.id, task_id=basic.task_id), metadata=md(M001)
    )
    assert done.task.status == "done"
    (body,) = probe.wait(1)
    assert body["offline"] is True
    refused = pb.CompleteTaskRequest(op=offline, visit_id=visit.id, task_id=collection.task_id)
    refused.op.op_id = unique("op")
    error = rpc_error(lambda: stub.CompleteTask(refused, metadata=md(M001)))
    assert (error.status, error.code) == (grpc.StatusCode.OUT_OF_RANGE, "task_online_only")
