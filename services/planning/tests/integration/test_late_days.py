"""Late offline days (R-1.3.3-c): work of a missed day uploaded within PLANNING_LATE_UPLOAD_DAYS applies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import grpc
import pytest

from baifang.common.v1 import common_pb2
from baifang.planning.v1 import planning_pb2 as pb
from baifang.planning.v1 import planning_pb2_grpc
from baifang_common.events import CheckinRecorded
from baifang_common.qr import sign_qr
from baifang_common.testing.calls import caller_md, rpc_error
from baifang_common.testing.plugin import unique
from baifang_common.timeutil import today
from planning import bootstrap
from planning.domain.model import VisitStatus
from planning.grpc_api import servicer
from planning.usecases.checkins import apply_checkins_recorded
from planning.usecases.missed import mark_missed_visits

from .builders import make_customer, make_visit

pytestmark = pytest.mark.integration

M001 = caller_md("m001", "manager", "t01")
CHECKIN = caller_md("checkin", "service", "")


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
def swept(deps, settings) -> dict[int, str]:
    """m001's visits 1 and 4 days ago, left planned and then swept to missed; {days_ago: visit_id}."""
    now = today(settings.timezone)
    visits = {}
    for ago in (1, 4):
        customer = make_customer("m001", "t01")
        deps.customers.upsert_many([customer])
        visit = make_visit(customer, (now - timedelta(days=ago)).isoformat())
        deps.visits.insert_many([visit])
        visits[ago] = visit.id
    mark_missed_visits(now, visits=deps.visits, publisher=deps.publisher, limit=100)
    assert {deps.visits.get(v).status for v in visits.values()} == {VisitStatus.MISSED}  # type: ignore[union-attr]
    return visits


def at(deps, visit_id: str, hour: int) -> str:
    return f"{deps.visits.get(visit_id).date}T{hour:02d}:00:00+08:00"


def offline(client_ts: str) -> common_pb2.OpMeta:
    return common_pb2.OpMeta(op_id=unique("op"), client_ts=client_ts, offline=True)


def test_a_missed_day_uploaded_within_the_window_goes_missed_checked_in_completed(stub, deps, swept):
    vid = swept[1]
    task_id = deps.visits.get(vid).tasks[0].task_id
    early = pb.CompleteTaskRequest(op=offline(at(deps, vid, 9)), visit_id=vid, task_id=task_id)
    assert rpc_error(lambda: stub.CompleteTask(early, metadata=M001)).code == "not_checked_in"

    mark = pb.MarkCheckedInRequest(visit_id=vid, checkin_id="ck-late", checked_in_at=at(deps, vid, 9))
    assert stub.MarkCheckedIn(mark, metadata=CHECKIN).visit.status == "checked_in"
    task = pb.CompleteTaskRequest(op=offline(at(deps, vid, 10)), visit_id=vid, task_id=task_id)
    assert stub.CompleteTask(task, metadata=M001).task.status == "done"
    done = stub.CompleteVisit(pb.CompleteVisitRequest(op=offline(at(deps, vid, 11)), visit_id=vid), metadata=M001)
    assert (done.visit.status, done.visit.completed_at) == ("completed", at(deps, vid, 11))

    day = deps.visits.get(vid).date
    summary = stub.GetPlanSummary(pb.GetPlanSummaryRequest(period="day", date=day), metadata=M001)
    assert (summary.counts.completed_customers, summary.counts.executed_tasks) == (1, 1)


def test_past_the_window_the_upload_is_refused_with_its_own_code(stub, deps, swept):
    vid = swept[4]
    mark = pb.MarkCheckedInRequest(visit_id=vid, checkin_id="ck-old", checked_in_at=at(deps, vid, 9))
    error = rpc_error(lambda: stub.MarkCheckedIn(mark, metadata=CHECKIN))
    assert (error.status, error.code) == (grpc.StatusCode.FAILED_PRECONDITION, "late_upload_expired")
    assert error.details["window_days"] == 3
    assert deps.visits.get(vid).status == VisitStatus.MISSED


def test_only_a_checkin_of_that_day_and_offline_work_revive_a_missed_visit(stub, deps, swept):
    vid = swept[1]
    today_mark = pb.MarkCheckedInRequest(visit_id=vid, checkin_id="ck-now", checked_in_at="2030-01-01T09:00:00+08:00")
    assert rpc_error(lambda: stub.MarkCheckedIn(today_mark, metadata=CHECKIN)).code == "visit_closed"
    online_op = common_pb2.OpMeta(op_id=unique("op"), client_ts=at(deps, vid, 11))
    online = pb.CompleteVisitRequest(op=online_op, visit_id=vid)
    assert rpc_error(lambda: stub.CompleteVisit(online, metadata=M001)).code == "visit_closed"
    assert deps.visits.get(vid).status == VisitStatus.MISSED


def test_the_worker_safety_net_applies_a_late_checkin_too(deps, swept, settings):
    vid = swept[1]
    visit = deps.visits.get(vid)
    event = CheckinRecorded(
        checkin_id="ck-event",
        visit_id=vid,
        customer_id=visit.customer_id,
        manager_id="m001",
        team_id="t01",
        date=visit.date,
        lat=0.0,
        lon=0.0,
        accuracy_m=5.0,
        distance_m=0.0,
        verdict="ok",
        verdict_reason="",
        mock_location=False,
        client_ts=at(deps, vid, 9),
        received_at=at(deps, vid, 9),
        offline=True,
    )
    apply_checkins_recorded([event], visits=deps.visits, late=bootstrap.late_uploads(settings))
    assert (deps.visits.get(vid).status, deps.visits.get(vid).checkin_id) == (VisitStatus.CHECKED_IN, "ck-event")


def check_in_visit(
    stub, deps, vid: str, checkin_id: str, checked_in_at: str, chosen: bool = False
) -> pb.CheckInVisitResponse:
    """checkin's one call for a scan: the outlet of the visit, its own signed code."""
    visit = deps.visits.get(vid)
    customer = deps.customers.get(visit.customer_id)
    request = pb.CheckInVisitRequest(
        manager_id="m001",
        customer_id=customer.id,
        date=visit.date,
        qr=sign_qr(customer.id, customer.qr_secret),
        checkin_id=checkin_id,
        checked_in_at=checked_in_at,
        visit_id=vid if chosen else "",
    )
    return stub.CheckInVisit(request, metadata=CHECKIN)


def test_a_scan_of_a_missed_visit_finds_no_planned_visit_and_the_state_machine_decides(stub, deps, swept):
    """CheckInVisit marks only a planned visit in its one write; a missed one is read and judged:
    a check-in of another day is refused, past the window too, and one of its own day revives it."""
    vid, old = swept[1], swept[4]
    other_day = rpc_error(lambda: check_in_visit(stub, deps, vid, "ck-now", "2030-01-01T09:00:00+08:00"))
    chosen = rpc_error(lambda: check_in_visit(stub, deps, vid, "ck-now", "2030-01-01T09:00:00+08:00", chosen=True))
    expired = rpc_error(lambda: check_in_visit(stub, deps, old, "ck-old", at(deps, old, 9), chosen=True))
    assert chosen.code == "visit_closed"
    assert (other_day.status, other_day.code) == (grpc.StatusCode.FAILED_PRECONDITION, "visit_closed")
    assert (expired.status, expired.code) == (grpc.StatusCode.FAILED_PRECONDITION, "late_upload_expired")
    assert {deps.visits.get(v).status for v in (vid, old)} == {VisitStatus.MISSED}

    revived = check_in_visit(stub, deps, vid, "ck-late", at(deps, vid, 9))
    again = check_in_visit(stub, deps, vid, "ck-late", at(deps, vid, 9))

    assert (revived.checkin_id, revived.visit.status, revived.marked_before) == ("ck-late", "checked_in", False)
    assert (again.checkin_id, again.marked_before) == ("ck-late", True)
    stored = deps.visits.get(vid)
    assert (stored.status, stored.checkin_id) == (VisitStatus.CHECKED_IN, "ck-late")
