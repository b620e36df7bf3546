"""ApplyOfflineBatch (POST /sync) through the real gRPC server, against the real planning service."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2
from prometheus_client import REGISTRY

from baifang.checkin.v1 import checkin_pb2, checkin_pb2_grpc
from baifang.common.v1 import common_pb2
from baifang.planning.v1 import planning_pb2, planning_pb2_grpc
from baifang_common.testing.calls import caller_md, rpc_error
from baifang_common.testing.plugin import free_port, unique
from checkin import bootstrap
from checkin.grpc_api import servicer as checkin_servicer
from checkin.settings import CheckinSettings
from planning.domain.model import Task, Visit, VisitStatus

from .checkin_support import HERE, Outlet, World, checkin_request, north, now_local

pytestmark = pytest.mark.integration

Stub = checkin_pb2_grpc.CheckinServiceStub


def at(hour: int, minute: int = 0, days_ago: int = 0) -> str:
    """A client time today (or days ago) in the company time zone, as the tablet sends it."""
    day = now_local() - timedelta(days=days_ago)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0).isoformat()


def sync_op(type_: str, payload: dict[str, Any], client_ts: str, op_id: str | None = None) -> checkin_pb2.OfflineOp:
    struct = struct_pb2.Struct()
    struct.update(payload)
    return checkin_pb2.OfflineOp(op_id=op_id or str(uuid.uuid4()), type=type_, payload=struct, client_ts=client_ts)


def checkin_payload(outlet: Outlet, qr: str | None = None) -> dict[str, Any]:
    lat, lon = north(15)
    return {"qr": outlet.qr if qr is None else qr, "lat": lat, "lon": lon, "accuracy_m": 9.0}


def with_tasks(world: World, outlet: Outlet, date: str | None = None) -> Visit:
    """Replace the outlet's visit by one with two basic tasks (planning's own store)."""
    visit_id = outlet.visit_id or unique("v")
    tasks = (
        Task(f"{visit_id}.t1", "T01", "陈列检查", "basic", "检查卷烟陈列"),
        Task(f"{visit_id}.t2", "T02", "价格检查", "basic", "核对明码标价"),
    )
    if outlet.visit_id:
        world.planning.visits.collection.delete_one({"_id": visit_id})
    visit = Visit(
        id=visit_id,
        manager_id="m001",
        team_id="t01",
        date=date or world.date,
        customer_id=outlet.customer.id,
        tasks=tasks,
    )
    world.planning.visits.insert_many([visit])
    outlet.visit_id = visit_id
    return visit


def results(answer: checkin_pb2.ApplyOfflineBatchResponse) -> list[dict[str, Any]]:
    return [json_format.MessageToDict(r, preserving_proto_field_name=True) for r in answer.results]


def sync_count(type_: str, status: str) -> float:
    return REGISTRY.get_sample_value("baifang_sync_ops_total", {"type": type_, "status": status}) or 0.0


def full_visit_batch(outlet: Outlet, visit: Visit) -> list[checkin_pb2.OfflineOp]:
    """Check-in, two task completions, an unplanned task and the completion, uploaded out of order."""
    t1, t2 = (t.task_id for t in visit.tasks)
    return [
        sync_op(
            "visit.complete", {"visit_id": visit.id, "summary": "客户经营正常", "next_steps": "下周回访"}, at(10, 40)
        ),
        sync_op("task.complete", {"visit_id": visit.id, "task_id": t2, "note": "价格已核对"}, at(10, 20)),
        sync_op("unplanned_task", {"visit_id": visit.id, "text": "协助整理货架"}, at(10, 30)),
        sync_op("checkin", checkin_payload(outlet), at(10, 0)),
        sync_op("task.complete", {"visit_id": visit.id, "task_id": t1}, at(10, 10)),
    ]


def test_an_out_of_order_batch_is_applied_in_client_time_order_and_a_replay_changes_nothing(
    world: World, checkin_stub: Stub, event_probe: Callable[..., Any]
) -> None:
    checkin_events = event_probe("checkin", "checkin.recorded")
    planning_events = event_probe("planning", "#")
    outlet = world.outlet()
    visit = with_tasks(world, outlet)
    ops = full_visit_batch(outlet, visit)
    applied_before = sync_count("task.complete", "applied")

    first = results(checkin_stub.ApplyOfflineBatch(checkin_pb2.ApplyOfflineBatchRequest(ops=ops), metadata=caller_md()))

    assert [r["op_id"] for r in first] == [o.op_id for o in ops]
    assert [r["status"] for r in first] == ["applied"] * 5, first
    checkin = first[3]["result"]
    assert (checkin["visit_id"], checkin["verdict"], checkin["checked_in_at"]) == (visit.id, "ok", at(10, 0))
    assert first[0]["result"]["visit"]["status"] == "completed"
    assert first[0]["result"]["visit"]["tasks_done"] == 2
    assert first[1]["result"]["task"]["completed_at"] == at(10, 20)
    assert first[2]["result"]["unplanned_task"] == {"text": "协助整理货架", "client_ts": at(10, 30)}
    stored = world.planning.visits.get(visit.id)
    assert stored is not None
    assert (stored.status, stored.tasks_done, stored.completed_client_ts) == (VisitStatus.COMPLETED, 2, at(10, 40))
    assert [u.text for u in stored.unplanned_tasks] == ["协助整理货架"]
    assert all(t.offline for t in stored.tasks) and stored.offline
    record = world.checkin.checkins.get(checkin["checkin_id"])
    assert record is not None and record.offline and record.client_ts == at(10, 0)
    assert sync_count("task.complete", "applied") == applied_before + 2

    replay = results(
        checkin_stub.ApplyOfflineBatch(checkin_pb2.ApplyOfflineBatchRequest(ops=ops), metadata=caller_md())
    )

    assert [r["status"] for r in replay] == ["duplicate"] * 5
    assert [r["result"] for r in replay] == [r["result"] for r in first]
    again = world.planning.visits.get(visit.id)
    assert again is not None and again.version == stored.version
    assert len(checkin_events.settle(1)) == 1
    kinds = Counter(b["event_type"] for b in planning_events.settle(6))
    # The completion also opens two follow-ups: the thank-you (P-003-7) and its next steps.
    assert kinds == {"task.completed": 2, "unplanned_task.recorded": 1, "visit.completed": 1, "follow_up.changed": 2}
    assert all(b["offline"] for b in checkin_events.bodies)


def test_a_forged_code_and_an_unknown_type_are_rejected_while_the_rest_applies(
    world: World, checkin_stub: Stub
) -> None:
    forged, good = world.outlet(), world.outlet(location=north(2000))
    forged_visit, good_visit = with_tasks(world, forged), with_tasks(world, good)
    ops = [
        sync_op("checkin", checkin_payload(forged, qr=forged.qr[:-4] + "AAAA"), at(9, 0)),
        sync_op("task.complete", {"visit_id": forged_visit.id, "task_id": forged_visit.tasks[0].task_id}, at(9, 5)),
        sync_op("collection.price_inventory", {"visit_id": forged_visit.id}, at(9, 6)),
        sync_op("checkin", {**checkin_payload(good), "lat": north(2000)[0]}, at(9, 30)),
        sync_op("task.complete", {"visit_id": good_visit.id, "task_id": good_visit.tasks[0].task_id}, at(9, 35)),
        sync_op("task.complete", {"visit_id": good_visit.id}, at(9, 36)),
        sync_op("visit.complete", {"visit_id": good_visit.id}, "tomorrow morning"),
    ]

    answer = results(
        checkin_stub.ApplyOfflineBatch(checkin_pb2.ApplyOfflineBatchRequest(ops=ops), metadata=caller_md())
    )

    statuses = [(r["status"], r.get("error_code", "")) for r in answer]
    assert statuses == [
        ("rejected", "invalid_qr"),
        ("rejected", "not_checked_in"),
        ("rejected", "unsupported_op_type"),
        ("applied", ""),
        ("applied", ""),
        ("rejected", "invalid_argument"),
        ("rejected", "invalid_argument"),
    ]
    assert answer[0]["error_details"] == {"reason": "bad_signature"}
    assert answer[5]["error_details"] == {"field": "payload.task_id"}
    assert answer[6]["error_details"] == {"field": "client_ts"}
    forged_now = world.planning.visits.get(forged_visit.id)
    assert forged_now is not None and forged_now.status == VisitStatus.PLANNED

    # Rejections are not kept: once the real code is scanned, the same task op applies.
    retry = [sync_op("checkin", checkin_payload(forged), at(9, 0)), ops[1]]
    again = results(
        checkin_stub.ApplyOfflineBatch(checkin_pb2.ApplyOfflineBatchRequest(ops=retry), metadata=caller_md())
    )
    assert [r["status"] for r in again] == ["applied", "applied"]


def test_a_checkin_is_matched_against_the_plan_of_the_clients_date(world: World, checkin_stub: Stub) -> None:
    yesterday = (now_local() - timedelta(days=1)).date().isoformat()
    outlet = world.outlet(date=yesterday)
    ops = [sync_op("checkin", checkin_payload(outlet), at(15, 0, days_ago=1))]

    (answer,) = results(
        checkin_stub.ApplyOfflineBatch(checkin_pb2.ApplyOfflineBatchRequest(ops=ops), metadata=caller_md())
    )

    assert answer["status"] == "applied", answer
    assert answer["result"]["visit_id"] == outlet.visit_id
    record = world.checkin.checkins.get(answer["result"]["checkin_id"])
    assert record is not None and (record.date, record.offline) == (yesterday, True)
    online = checkin_request(outlet)  # the same outlet is not on today's list
    status, code, _ = rpc_error(lambda: checkin_stub.RecordCheckin(online, metadata=caller_md()))
    assert (status, code) == (grpc.StatusCode.FAILED_PRECONDITION, "customer_not_in_plan")


def test_ops_first_applied_online_answer_duplicate_with_the_first_result(world: World, checkin_stub: Stub) -> None:
    outlet = world.outlet()
    visit = with_tasks(world, outlet)
    online = checkin_request(outlet, at=HERE)
    first = checkin_stub.RecordCheckin(online, metadata=caller_md())
    task_op = str(uuid.uuid4())
    with grpc.insecure_channel(f"127.0.0.1:{world.planning_port}") as channel:
        planning_pb2_grpc.PlanningServiceStub(channel).CompleteTask(
            planning_pb2.CompleteTaskRequest(
                op=common_pb2.OpMeta(op_id=task_op, client_ts=at(11, 0)),
                visit_id=visit.id,
                task_id=visit.tasks[0].task_id,
            ),
            metadata=caller_md(),
        )
    ops = [
        sync_op("checkin", checkin_payload(outlet), online.op.client_ts, op_id=online.op.op_id),
        sync_op("task.complete", {"visit_id": visit.id, "task_id": visit.tasks[0].task_id}, at(11, 0), op_id=task_op),
        sync_op("task.complete", {"visit_id": visit.id, "task_id": visit.tasks[1].task_id}, at(11, 5)),
    ]
    ops.append(ops[2])  # the same op twice in one batch: the later one is a duplicate

    answer = results(
        checkin_stub.ApplyOfflineBatch(checkin_pb2.ApplyOfflineBatchRequest(ops=ops), metadata=caller_md())
    )

    assert [r["status"] for r in answer] == ["duplicate", "duplicate", "applied", "duplicate"]
    assert answer[0]["result"]["checkin_id"] == first.checkin_id
    assert answer[3]["result"] == answer[2]["result"]


def test_only_managers_sync_and_a_batch_over_the_limit_is_refused(world: World, checkin_stub: Stub) -> None:
    op = sync_op("task.complete", {"visit_id": "v", "task_id": "t"}, at(9, 0))
    status, code, _ = rpc_error(
        lambda: checkin_stub.ApplyOfflineBatch(
            checkin_pb2.ApplyOfflineBatchRequest(ops=[op]), metadata=caller_md("s01", "supervisor")
        )
    )
    assert (status, code) == (grpc.StatusCode.PERMISSION_DENIED, "forbidden")
    too_many = [sync_op("task.complete", {}, at(9, 0)) for _ in range(world.settings.max_sync_ops + 1)]
    status, code, details = rpc_error(
        lambda: checkin_stub.ApplyOfflineBatch(checkin_pb2.ApplyOfflineBatchRequest(ops=too_many), metadata=caller_md())
    )
    assert (status, code, details) == (grpc.StatusCode.INVALID_ARGUMENT, "too_many_ops", {"max": 200, "given": 201})


def test_a_dependency_outage_rejects_as_unavailable_keeps_nothing_and_the_retry_applies(
    world: World, checkin_stub: Stub, settings_for: Callable[..., Any], grpc_server: Callable[..., Any]
) -> None:
    outlet = world.outlet()
    visit = with_tasks(world, outlet)
    cut_off = bootstrap.build_grpc(settings_for(CheckinSettings, planning_addr=f"127.0.0.1:{free_port()}"))
    try:
        _, channel = grpc_server([checkin_servicer(cut_off)])
        ops = full_visit_batch(outlet, visit)
        down = results(
            checkin_pb2_grpc.CheckinServiceStub(channel).ApplyOfflineBatch(
                checkin_pb2.ApplyOfflineBatchRequest(ops=ops), metadata=caller_md()
            )
        )
    finally:
        cut_off.close()
    assert [(r["status"], r["error_code"]) for r in down] == [("rejected", "unavailable")] * 5
    assert down[4]["error_details"] == {"reason": "not_attempted", "blocked_by": ops[3].op_id}

    up = results(checkin_stub.ApplyOfflineBatch(checkin_pb2.ApplyOfflineBatchRequest(ops=ops), metadata=caller_md()))
    assert [r["status"] for r in up] == ["applied"] * 5
