"""Change customer (§1.5.2) through the real gRPC server: QR lookup and temporary visits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from baifang.common.v1 import common_pb2
from baifang.planning.v1 import planning_pb2 as pb
from baifang.planning.v1 import planning_pb2_grpc
from baifang_common.qr import sign_qr
from baifang_common.testing.calls import caller_md, rpc_error
from baifang_common.testing.plugin import unique
from baifang_common.timeutil import today
from planning import bootstrap
from planning.demo import TASK_LIBRARY
from planning.grpc_api import servicer
from planning.settings import PlanningSettings
from planning.usecases.events import event_id

from .builders import make_customer, make_visit

pytestmark = pytest.mark.integration

M001 = caller_md("m001", "manager", "t01")
M002 = caller_md("m002", "manager", "t01")
S01 = caller_md("s01", "supervisor", "t01")


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
def day(settings) -> str:
    return today(settings.timezone).isoformat()


@pytest.fixture
def outlets(deps, day) -> dict[str, Any]:
    """m001 has one listed outlet today and one unlisted; m002 (same team) one unlisted; m011 another team."""
    listed, unlisted = make_customer("m001", "t01"), make_customer("m001", "t01")
    colleague, stranger = make_customer("m002", "t01"), make_customer("m011", "t02")
    deps.customers.upsert_many([listed, unlisted, colleague, stranger])
    deps.visits.insert_many([make_visit(listed, day, order=3)])
    deps.library.put_many(TASK_LIBRARY)
    found = {"listed": listed, "unlisted": unlisted, "colleague": colleague, "stranger": stranger}
    return {**found, "qr": {name: sign_qr(c.id, c.qr_secret) for name, c in found.items()}}


def add(qr: str = "", codes: tuple[str, ...] = ("T01", "T03"), op_id: str = "", customer_id: str = "") -> Any:
    return pb.AddTemporaryVisitRequest(
        op=common_pb2.OpMeta(op_id=op_id or unique("op")), qr=qr, customer_id=customer_id, task_codes=codes
    )


def test_lookup_says_whether_the_scanned_outlet_is_on_todays_list(stub, outlets):
    listed = stub.LookupCustomer(pb.LookupCustomerRequest(qr=outlets["qr"]["listed"]), metadata=M001)
    assert (listed.customer.id, listed.on_list, listed.may_add) == (outlets["listed"].id, True, False)
    assert listed.visit.order == 3
    unlisted = stub.LookupCustomer(pb.LookupCustomerRequest(qr=outlets["qr"]["unlisted"]), metadata=M001)
    assert (unlisted.on_list, unlisted.may_add, unlisted.customer.name) == (False, True, "王记便利店")


def test_lookup_refuses_forged_codes_and_customers_outside_the_scope(stub, outlets):
    forged = outlets["qr"]["unlisted"][:-4] + "AAAA"
    for bad in (forged, "not-a-code", sign_qr("no-such-customer", "s")):
        error = rpc_error(lambda bad=bad: stub.LookupCustomer(pb.LookupCustomerRequest(qr=bad), metadata=M001))
        assert (error.status, error.code) == (grpc.StatusCode.OUT_OF_RANGE, "invalid_qr")
    error = rpc_error(
        lambda: stub.LookupCustomer(pb.LookupCustomerRequest(qr=outlets["qr"]["stranger"]), metadata=M001)
    )
    assert (error.status, error.code) == (grpc.StatusCode.PERMISSION_DENIED, "forbidden")
    assert error.details == {"customer_id": outlets["stranger"].id}


def test_temporary_visit_joins_the_list_counts_and_is_published(stub, outlets, day, event_probe):
    probe = event_probe("planning", "visit.temporary_added")
    request = add(outlets["qr"]["unlisted"])
    first = stub.AddTemporaryVisit(request, metadata=M001)
    assert (first.created, first.replayed, first.visit.temporary, first.visit.status) == (True, False, True, "planned")
    assert ([t.code for t in first.visit.tasks], first.visit.order, first.visit.date) == (["T01", "T03"], 4, day)
    replay = stub.AddTemporaryVisit(request, metadata=M001)
    assert (replay.visit, replay.created, replay.replayed) == (first.visit, True, True)
    again = stub.AddTemporaryVisit(add(outlets["qr"]["unlisted"], ("T02",)), metadata=M001)
    assert (again.created, again.visit.visit_id) == (False, first.visit.visit_id)
    listed = stub.AddTemporaryVisit(add(customer_id=outlets["listed"].id), metadata=M001)
    assert (listed.created, listed.visit.temporary) == (False, False)

    (body,) = probe.wait(1)
    assert body["event_id"] == event_id("visit.temporary_added", first.visit.visit_id)
    assert (body["task_codes"], body["date"], body["team_id"]) == (["T01", "T03"], day, "t01")
    summary = stub.GetPlanSummary(pb.GetPlanSummaryRequest(period="day", date=day), metadata=M001)
    counts = summary.counts
    assert (counts.planned_customers, counts.planned_tasks, counts.temporary_customers) == (2, 4, 1)
    listing = stub.ListVisits(pb.ListVisitsRequest(date=day), metadata=M001)
    assert [v.temporary for v in listing.visits] == [False, True]


def test_covering_a_colleague_depends_on_the_configured_scope(stub, outlets, grpc_server, settings_for):
    covered = stub.AddTemporaryVisit(add(outlets["qr"]["colleague"]), metadata=M001)
    assert (covered.created, covered.visit.manager_id) == (True, "m001")
    error = rpc_error(lambda: stub.AddTemporaryVisit(add(outlets["qr"]["stranger"]), metadata=M001))
    assert (error.status, error.code) == (grpc.StatusCode.PERMISSION_DENIED, "forbidden")

    own_only = bootstrap.build_grpc(settings_for(PlanningSettings, serving_scope="own"))
    try:
        _, channel = grpc_server([servicer(own_only)])
        strict = planning_pb2_grpc.PlanningServiceStub(channel)
        error = rpc_error(lambda: strict.AddTemporaryVisit(add(outlets["qr"]["unlisted"]), metadata=M002))
        assert error.code == "forbidden"
    finally:
        own_only.close()


def test_temporary_visit_refusals(stub, outlets):
    cases = [
        (add(outlets["qr"]["unlisted"], ()), M001, "no_tasks_chosen"),
        (add(outlets["qr"]["unlisted"], ("T01", "ZZ")), M001, "unknown_task_code"),
        (add("BF1.x.y"), M001, "invalid_qr"),
        (add(outlets["qr"]["unlisted"]), S01, "forbidden"),
        (add(outlets["qr"]["unlisted"], op_id=" "), M001, "invalid_argument"),
    ]
    for request, who, code in cases:
        if request.op.op_id == " ":
            request.op.op_id = ""
        error = rpc_error(lambda request=request, who=who: stub.AddTemporaryVisit(request, metadata=who))
        assert error.code == code, (code, error)
