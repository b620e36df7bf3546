"""PlanningClient — typed wrapper over planning's gRPC stub for the check-in path.

Deadlines are short (the check-in answer waits on them); ResolveVisitForCheckin and
MarkCheckedIn are idempotent, so the channel retries them on UNAVAILABLE (see bootstrap).
Caller identity and request id travel as metadata through the common ClientInterceptor.
"""

from __future__ import annotations

import grpc

from baifang.planning.v1 import planning_pb2, planning_pb2_grpc
from baifang_common.errors import RemoteError, status_of
from baifang_common.grpc_client import call
from checkin.domain.model import CustomerSummary, GeoPoint, Resolution, VisitRef

SERVICE = "baifang.planning.v1.PlanningService"
IDEMPOTENT_METHODS = ("ResolveVisitForCheckin", "MarkCheckedIn")


class PlanningClient:
    def __init__(
        self,
        stub: planning_pb2_grpc.PlanningServiceStub,
        *,
        resolve_timeout: float = 1.0,
        mark_timeout: float = 2.0,
    ) -> None:
        self.stub = stub
        self.resolve_timeout = resolve_timeout
        self.mark_timeout = mark_timeout

    def resolve_visit_for_checkin(self, *, manager_id: str, customer_id: str, date: str) -> Resolution | None:
        """The outlet, its QR secret and the manager's visit that day; None when planning knows no such outlet."""
        request = planning_pb2.ResolveVisitForCheckinRequest(manager_id=manager_id, customer_id=customer_id, date=date)
        try:
            response = call(self.stub.ResolveVisitForCheckin, request, timeout=self.resolve_timeout)
        except RemoteError as exc:
            if status_of(exc) == grpc.StatusCode.NOT_FOUND:
                return None
            raise
        visit = response.visit if response.HasField("visit") and response.visit.visit_id else None
        return Resolution(
            customer=_customer(response.customer),
            qr_secret=response.qr_secret,
            visit=_visit(visit) if visit is not None else None,
        )

    def mark_checked_in(self, *, visit_id: str, checkin_id: str, checked_in_at: str) -> str:
        """Move the visit to checked_in; returns the check-in that holds it (the first one)."""
        request = planning_pb2.MarkCheckedInRequest(
            visit_id=visit_id, checkin_id=checkin_id, checked_in_at=checked_in_at
        )
        response = call(self.stub.MarkCheckedIn, request, timeout=self.mark_timeout)
        return response.checkin_id or response.visit.checkin_id or checkin_id


def _customer(customer: planning_pb2.Customer) -> CustomerSummary:
    location = None
    if customer.HasField("location") and (customer.location.lat or customer.location.lon):
        location = GeoPoint(customer.location.lat, customer.location.lon)
    return CustomerSummary(
        id=customer.id,
        code=customer.code,
        name=customer.name,
        address=customer.address,
        star=customer.star,
        terminal_type=customer.terminal_type,
        location=location,
    )


def _visit(visit: planning_pb2.Visit) -> VisitRef:
    return VisitRef(
        visit_id=visit.visit_id,
        manager_id=visit.manager_id,
        team_id=visit.team_id,
        date=visit.date,
        status=visit.status,
        method=visit.method,
        checkin_id=visit.checkin_id,
    )
