"""VisitWorkClient — planning's visit-work RPCs for the offline batch (/sync): CompleteTask,
CompleteVisit and AddUnplannedTask, each with op.offline = true and the client time.

Planning keeps these writes idempotent by op_id and says in `replayed` whether the op had been
applied before, so /sync can answer `duplicate` for an op first applied online. The calls are not
retried by the channel: a transient failure goes back to the client, whose retry applies it later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from baifang.common.v1 import common_pb2
from baifang.planning.v1 import planning_pb2, planning_pb2_grpc
from baifang_common.grpc_client import call


@dataclass(frozen=True)
class WorkAnswer:
    """The operation's result as /sync answers it (JSON-able), and whether planning had it already."""

    result: dict[str, Any]
    replayed: bool


class VisitWorkClient:
    def __init__(self, stub: planning_pb2_grpc.PlanningServiceStub, *, timeout: float = 5.0) -> None:
        self.stub = stub
        self.timeout = timeout

    def complete_task(self, *, op_id: str, client_ts: str, visit_id: str, task_id: str, note: str) -> WorkAnswer:
        request = planning_pb2.CompleteTaskRequest(
            op=_offline(op_id, client_ts), visit_id=visit_id, task_id=task_id, note=note
        )
        response = call(self.stub.CompleteTask, request, timeout=self.timeout)
        task = response.task
        result = {
            "visit": _visit(response.visit),
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
        response = call(self.stub.CompleteVisit, request, timeout=self.timeout)
        visit = response.visit
        result = {"visit": {**_visit(visit), "summary": visit.summary or None, "next_steps": visit.next_steps or None}}
        return WorkAnswer(result, response.replayed)

    def add_unplanned_task(self, *, op_id: str, client_ts: str, visit_id: str, text: str) -> WorkAnswer:
        request = planning_pb2.AddUnplannedTaskRequest(op=_offline(op_id, client_ts), visit_id=visit_id, text=text)
        response = call(self.stub.AddUnplannedTask, request, timeout=self.timeout)
        entries = response.visit.unplanned_tasks
        mine = next((u for u in list(entries)[::-1] if u.text == text.strip()), None)
        entry = {"text": mine.text, "client_ts": mine.client_ts} if mine else {"text": text, "client_ts": client_ts}
        result = {"visit": {**_visit(response.visit), "unplanned_tasks": len(entries)}, "unplanned_task": entry}
        return WorkAnswer(result, response.replayed)


def _offline(op_id: str, client_ts: str) -> common_pb2.OpMeta:
    return common_pb2.OpMeta(op_id=op_id, client_ts=client_ts, offline=True)


def _visit(visit: planning_pb2.Visit) -> dict[str, Any]:
    return {
        "visit_id": visit.visit_id,
        "status": visit.status,
        "tasks_total": visit.tasks_total,
        "tasks_done": visit.tasks_done,
        "checked_in_at": visit.checked_in_at or None,
        "completed_at": visit.completed_at or None,
    }
