"""PlanningClient — typed wrapper over planning's gRPC stub: the check-in path and the visit work
of offline batches.

CheckInVisit (the check-in path in one round trip) has a short deadline (the check-in answer waits
on it) and is idempotent for a given checkin_id, so the channel retries it on UNAVAILABLE (see
bootstrap). CompleteTask,
CompleteVisit and AddUnplannedTask go with op.offline = true and the client time; planning keeps
them idempotent by op_id and says in `replayed` whether the op had been applied before. They are
not retried by the channel: a transient failure goes back to the client, whose retry applies it.
Caller identity and request id travel as metadata through the common ClientInterceptor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import grpc

from baifang.common.v1 import common_pb2
from baifang.planning.v1 import planning_pb2, planning_pb2_grpc
from baifang_common.errors import RemoteError, code_of, status_of
from baifang_common.grpc_client import call
from baifang_common.timeutil import parse_ts
from checkin.domain.model import CustomerSummary, GeoPoint, Resolution, VisitRef
from checkin.domain.sync import WorkAnswer

SERVICE = "baifang.planning.v1.PlanningService"
IDEMPOTENT_METHODS = ("CheckInVisit",)


@dataclass(frozen=True)
class Deadlines:
    """Seconds each kind of planning call may take (CheckinSettings.planning_*_timeout_s)."""

    checkin: float = 2.0
    work: float = 5.0


class PlanningClient:
    def __init__(self, stub: planning_pb2_grpc.PlanningServiceStub, deadlines: Deadlines = Deadlines()) -> None:
        self.stub = stub
        self.deadlines = deadlines

    def check_in_visit(
        self,
        *,
        manager_id: str,
        customer_id: str,
        date: str,
        qr: str,
        checkin_id: str,
        checked_in_at: str,
        visit_id: str,
    ) -> Resolution | None:
        """The outlet, planning's verdict on the scanned code and the manager's visit that day, marked checked
        in when the code is good (and the visit the one chosen); None when planning knows no such outlet."""
        request = planning_pb2.CheckInVisitRequest(
            manager_id=manager_id,
            customer_id=customer_id,
            date=date,
            qr=qr,
            checkin_id=checkin_id,
            checked_in_at=checked_in_at,
            visit_id=visit_id,
        )
        try:
            response = call(self.stub.CheckInVisit, request, timeout=self.deadlines.checkin)
        except RemoteError as exc:
            if status_of(exc) == grpc.StatusCode.NOT_FOUND and code_of(exc) == "customer_not_found":
                return None
            raise
        visit = response.visit if response.HasField("visit") and response.visit.visit_id else None
        return Resolution(
            customer=_customer(response.customer),
            qr_valid=response.qr_valid,
            visit=_visit_ref(visit) if visit is not None else None,
            holder=response.checkin_id,
            appointment_at=parse_ts(response.appointment_at, "appointment_at") if response.appointment_at else None,
            marked_before=response.marked_before,
        )

    def complete_task(self, *, op_id: str, client_ts: str, visit_id: str, task_id: str, note: str) -> WorkAnswer:
        request = planning_pb2.CompleteTaskRequest(
            op=_offline(op_id, client_ts), visit_id=visit_id, task_id=task_id, note=note
        )
        response = call(self.stub.CompleteTask, request, timeout=self.deadlines.work)
        task = response.task
        result = {
            "visit": _visit_summary(response.visit),
            "task": {
                "task_id": task.task_id,
                "code": task.code,
                "name": task.name,
                "kind": task.kind,
                "status": task.status,
                "completed_at": task.completed_at or None,
                "note": task.note or None,
            },
        }
        return WorkAnswer(result, response.replayed)

    def complete_visit(self, *, op_id: str, client_ts: str, visit_id: str, summary: str, next_steps: str) -> WorkAnswer:
        request = planning_pb2.CompleteVisitRequest(
            op=_offline(op_id, client_ts), visit_id=visit_id, summary=summary, next_steps=next_steps
        )
        response = call(self.stub.CompleteVisit, request, timeout=self.deadlines.work)
        visit = response.visit
        summary_fields = {"summary": visit.summary or None, "next_steps": visit.next_steps or None}
        return WorkAnswer({"visit": {**_visit_summary(visit), **summary_fields}}, response.replayed)

    def add_unplanned_task(self, *, op_id: str, client_ts: str, visit_id: str, text: str) -> WorkAnswer:
        request = planning_pb2.AddUnplannedTaskRequest(op=_offline(op_id, client_ts), visit_id=visit_id, text=text)
        response = call(self.stub.AddUnplannedTask, request, timeout=self.deadlines.work)
        entries = response.visit.unplanned_tasks
        mine = next((u for u in list(entries)[::-1] if u.text == text.strip()), None)
        entry = {"text": mine.text, "client_ts": mine.client_ts} if mine else {"text": text, "client_ts": client_ts}
        result = {"visit": {**_visit_summary(response.visit), "unplanned_tasks": len(entries)}, "unplanned_task": entry}
        return WorkAnswer(result, response.replayed)


def _offline(op_id: str, client_ts: str) -> common_pb2.OpMeta:
    return common_pb2.OpMeta(op_id=op_id, client_ts=client_ts, offline=True)


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


def _visit_ref(visit: planning_pb2.Visit) -> VisitRef:
    return VisitRef(
        visit_id=visit.visit_id,
        manager_id=visit.manager_id,
        team_id=visit.team_id,
        date=visit.date,
        status=visit.status,
        method=visit.method,
        checkin_id=visit.checkin_id,
    )


def _visit_summary(visit: planning_pb2.Visit) -> dict[str, Any]:
    """The visit as /sync answers it (JSON-able)."""
    return {
        "visit_id": visit.visit_id,
        "status": visit.status,
        "tasks_total": visit.tasks_total,
        "tasks_done": visit.tasks_done,
        "checked_in_at": visit.checked_in_at or None,
        "completed_at": visit.completed_at or None,
    }
