"""PlanningClient: the visit a collection is bound to, read from planning over gRPC.

GetVisit is an idempotent read, so the channel retries it on UNAVAILABLE (see bootstrap). The
user's identity travels through the common client interceptor, so planning answers 403/404 to
a visit the caller may not read and that answer flows back unchanged.
"""

from __future__ import annotations

from baifang.planning.v1 import planning_pb2, planning_pb2_grpc
from baifang_common.grpc_client import call
from collection.domain.model import VisitRef

SERVICE = "baifang.planning.v1.PlanningService"
IDEMPOTENT_METHODS = ("GetVisit",)


class PlanningClient:
    def __init__(self, stub: planning_pb2_grpc.PlanningServiceStub, timeout: float = 2.0) -> None:
        self.stub = stub
        self.timeout = timeout

    def visit(self, visit_id: str) -> VisitRef:
        response = call(self.stub.GetVisit, planning_pb2.GetVisitRequest(visit_id=visit_id), timeout=self.timeout)
        v = response.visit
        return VisitRef(
            visit_id=v.visit_id,
            manager_id=v.manager_id,
            team_id=v.team_id,
            customer_id=v.customer.id,
            date=v.date,
            status=v.status,
        )
