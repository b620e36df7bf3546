"""Follow-ups (P-003-7) through the real gRPC server: owed after completion, listed, closed by their manager."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from baifang.common.v1 import common_pb2
from baifang.planning.v1 import planning_pb2 as pb
from baifang.planning.v1 import planning_pb2_grpc
from baifang_common.testing.calls import caller_md, rpc_error
from baifang_common.testing.plugin import unique
from baifang_common.testing.wait import wait_until
from baifang_common.timeutil import parse_ts
from planning import bootstrap
from planning.domain.model import VisitMethod
from planning.grpc_api import servicer

from .builders import make_customer, make_visit

pytestmark = pytest.mark.integration

M001 = caller_md("m001", "manager", "t01")
M002 = caller_md("m002", "manager", "t01")
S01 = caller_md("s01", "supervisor", "t01")
CHECKIN = caller_md("checkin", "service", "")
DAY = "2026-11-25"


@pytest.fixture
def deps(settings) -> Iterator[bootstrap.GrpcDeps]:
    built = bootstrap.build_grpc(settings)
    yield built
    built.close()


@pytest.fixture
def stub(deps, grpc_server) -> planning_pb2_grpc.PlanningServiceStub:
    _, channel = grpc_server([servicer(deps)])
    return planning_pb2_grpc.PlanningServiceStub(channel)


def complete(stub, visit_id: str, next_steps: str = "") -> pb.CompleteVisitResponse:
    op = common_pb2.OpMeta(op_id=unique("op"), client_ts=f"{DAY}T10:00:00+08:00")
    return stub.CompleteVisit(pb.CompleteVisitRequest(op=op, visit_id=visit_id, next_steps=next_steps), metadata=M001)


def test_a_completed_formal_visit_owes_a_thank_you_in_48_hours_and_its_next_steps(stub, deps, event_probe):
    probe = event_probe("planning", "follow_up.changed")
    on_site, phone = make_customer("m001", "t01"), make_customer("m001", "t01")
    deps.customers.upsert_many([on_site, phone])
    visit, call = make_visit(on_site, DAY), make_visit(phone, DAY, order=2, method=VisitMethod.PHONE)
    deps.visits.insert_many([visit, call])
    stub.MarkCheckedIn(pb.MarkCheckedInRequest(visit_id=visit.id, checkin_id="ck1"), metadata=CHECKIN)
    done = complete(stub, visit.id, next_steps="下周带新品样品")
    complete(stub, call.id)

    items = stub.ListFollowUps(pb.ListFollowUpsRequest(), metadata=M001).follow_ups
    assert [(f.kind, f.visit_id) for f in items] == [("thank_you", visit.id), ("next_steps", visit.id)]
    thank_you, next_steps = items
    completed_at = parse_ts(done.visit.completed_at)  # the client's time, the business time
    assert (parse_ts(thank_you.due_at) - completed_at).total_seconds() == pytest.approx(48 * 3600, abs=1)
    assert next_steps.text == "下周带新品样品"
    assert thank_you.overdue is True  # the visit day is long past

    complete(stub, visit.id, next_steps="下周带新品样品")  # a repeat owes nothing more
    assert len(stub.ListFollowUps(pb.ListFollowUpsRequest(), metadata=M001).follow_ups) == 2
    assert len(stub.ListFollowUps(pb.ListFollowUpsRequest(manager_id="m001"), metadata=S01).follow_ups) == 2

    request = pb.CloseFollowUpRequest(follow_up_id=thank_you.follow_up_id)
    assert rpc_error(lambda: stub.CloseFollowUp(request, metadata=M002)).code == "follow_up_not_found"
    closed = stub.CloseFollowUp(request, metadata=M001)
    assert closed.done_at
    assert stub.CloseFollowUp(request, metadata=M001).done_at == closed.done_at
    left = stub.ListFollowUps(pb.ListFollowUpsRequest(), metadata=M001).follow_ups
    assert [f.kind for f in left] == ["next_steps"]

    def announced() -> set[tuple[str, str]]:
        probe.wait(1)
        return {(e["kind"], e["status"]) for e in probe.bodies}

    expected = {("thank_you", "open"), ("next_steps", "open"), ("thank_you", "done")}
    assert wait_until(lambda: announced() == expected and announced(), what="the follow-ups announced") == expected
