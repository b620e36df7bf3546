"""The house server interceptor and client helpers against a real gRPC server on a free port."""

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from baifang.planning.v1 import planning_pb2, planning_pb2_grpc
from baifang_common import context
from baifang_common.errors import Conflict, RemoteError
from baifang_common.grpc_client import call, channel
from baifang_common.grpc_server import LIVENESS, Servicer
from baifang_common.identity import load_signer
from baifang_common.metrics import GRPC_HANDLED

pytestmark = pytest.mark.integration


class VisitClosed(Conflict):
    code = "visit_closed"


class EchoCallerPlanning(planning_pb2_grpc.PlanningServiceServicer):
    """Answers with what the interceptor bound, or fails the way a service would."""

    def ListTaskLibrary(self, request, ctx):
        caller = context.current_caller()
        name = f"{caller.id}/{caller.role}/{caller.team_id}|{context.current_request_id()}"
        return planning_pb2.ListTaskLibraryResponse(tasks=[planning_pb2.LibraryTask(code="X", name=name)])

    def CompleteVisit(self, request, ctx):
        raise VisitClosed("visit is completed", visit_id=request.visit_id)

    def GetVisit(self, request, ctx):
        raise RuntimeError("boom: secret internals")


SERVICE = "baifang.planning.v1.PlanningService"
ANYONE_OF_OURS = frozenset({"gateway", "checkin"})
CALLERS = {"ListTaskLibrary": ANYONE_OF_OURS, "CompleteVisit": ANYONE_OF_OURS, "GetVisit": ANYONE_OF_OURS}
AS_CHECKIN = context.Caller.service("checkin")


@pytest.fixture
def planning_stub(grpc_server):
    server, chan = grpc_server(
        [Servicer(planning_pb2_grpc.add_PlanningServiceServicer_to_server, EchoCallerPlanning(), SERVICE, CALLERS)]
    )
    return server, planning_pb2_grpc.PlanningServiceStub(chan), chan


def test_caller_and_request_id_reach_the_servicer(planning_stub):
    _, stub, _ = planning_stub
    metadata = load_signer("gateway").metadata(context.Caller("m001", "manager", "t01"), "req-42")
    answer = stub.ListTaskLibrary(planning_pb2.ListTaskLibraryRequest(), metadata=metadata)
    assert answer.tasks[0].name == "m001/manager/t01|req-42"


def test_domain_error_becomes_status_with_code_and_details(planning_stub):
    server, _, _ = planning_stub
    stub = planning_pb2_grpc.PlanningServiceStub(channel(f"127.0.0.1:{server.port}", identity=AS_CHECKIN))
    with pytest.raises(RemoteError) as caught:
        call(stub.CompleteVisit, planning_pb2.CompleteVisitRequest(visit_id="v9"))
    assert caught.value.status == grpc.StatusCode.FAILED_PRECONDITION
    assert caught.value.remote_code == "visit_closed"
    assert caught.value.details == {"visit_id": "v9"}


def test_unexpected_error_is_internal_without_leaking_the_message(planning_stub):
    _, stub, _ = planning_stub
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetVisit(planning_pb2.GetVisitRequest(visit_id="v1"), metadata=load_signer("gateway").metadata(None))
    assert caught.value.code() == grpc.StatusCode.INTERNAL
    assert "secret" not in caught.value.details()
    value = GRPC_HANDLED.labels(SERVICE, "GetVisit", "INTERNAL")._value.get()
    assert value >= 1


def test_client_propagates_the_bound_identity_to_the_peer(planning_stub):
    server, _, _ = planning_stub
    stub = planning_pb2_grpc.PlanningServiceStub(channel(f"127.0.0.1:{server.port}", identity=AS_CHECKIN))
    with context.bound("req-7", context.Caller("s01", "supervisor", "t01")):
        answer = call(stub.ListTaskLibrary, planning_pb2.ListTaskLibraryRequest())
    assert answer.tasks[0].name == "s01/supervisor/t01|req-7"


def test_outside_any_users_call_a_service_calls_on_its_own_account(planning_stub):
    server, _, _ = planning_stub
    stub = planning_pb2_grpc.PlanningServiceStub(channel(f"127.0.0.1:{server.port}", identity=AS_CHECKIN))
    answer = call(stub.ListTaskLibrary, planning_pb2.ListTaskLibraryRequest())
    assert answer.tasks[0].name.startswith("checkin/service/|")
    with context.bound("req-8", context.Caller("m001", "manager", "t01")):
        answer = call(stub.ListTaskLibrary, planning_pb2.ListTaskLibraryRequest())
    assert answer.tasks[0].name == "m001/manager/t01|req-8"


def test_health_is_not_serving_until_ready_while_liveness_serves(planning_stub):
    server, _, chan = planning_stub
    health = health_pb2_grpc.HealthStub(chan)
    server.set_serving(False)
    overall = health.Check(health_pb2.HealthCheckRequest(service=""))
    assert overall.status == health_pb2.HealthCheckResponse.NOT_SERVING
    assert (
        health.Check(health_pb2.HealthCheckRequest(service=LIVENESS)).status == health_pb2.HealthCheckResponse.SERVING
    )
    server.set_serving(True)
    assert health.Check(health_pb2.HealthCheckRequest(service=SERVICE)).status == health_pb2.HealthCheckResponse.SERVING
