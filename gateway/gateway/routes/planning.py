"""Visits, plans and the task library (planning service), plus the admin QR codes."""

from __future__ import annotations

import io
from enum import StrEnum
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, Path, Query, Response

from baifang.checkin.v1 import checkin_pb2
from baifang.common.v1 import common_pb2
from baifang.planning.v1 import planning_pb2
from baifang_common.context import Caller
from gateway.auth import current_caller, require_roles
from gateway.deps import Deps, get_deps
from gateway.errors import ApiError, JsonResponse
from gateway.pagination import DEFAULT_LIMIT, Cursor, Limit, decode_cursor, page
from gateway.params import DateQuery, resolve_date
from gateway.routes import API_PREFIX
from gateway.schemas.planning import (
    AppointmentRequest,
    AssignmentRequest,
    CompleteTaskRequest,
    CompleteVisitRequest,
    TemporaryVisitRequest,
    UnplannedTaskRequest,
)

router = APIRouter(prefix=API_PREFIX, tags=["planning"])

Id = Annotated[str, Path(min_length=1, max_length=128)]
ManagerId = Annotated[str | None, Query(max_length=64)]
CallerDep = Annotated[Caller, Depends(current_caller)]
DepsDep = Annotated[Deps, Depends(get_deps)]


class Period(StrEnum):
    month = "month"
    week = "week"
    day = "day"


def _or_none(value: str) -> str | None:
    return value or None


def customer_card(c: planning_pb2.Customer) -> dict[str, Any]:
    """The customer as the visit list shows it (with the short code, 简码)."""
    return {
        "id": c.id,
        "name": c.name,
        "code": c.code,
        "short_code": c.short_code,
        "star": c.star,
        "terminal_type": c.terminal_type,
        "address": c.address,
        "location": {"lat": c.location.lat, "lon": c.location.lon} if c.HasField("location") else None,
    }


def customer_info(c: planning_pb2.Customer) -> dict[str, Any]:
    """Basic and business information of the visit page."""
    return {
        **customer_card(c),
        "licence_no": c.licence_no,
        "credit_grade": c.credit_grade,
        "value_class": c.value_class,
        "order_type": c.order_type,
        "settlement_method": c.settlement_method,
        "phone": c.phone,
        "manager_id": c.manager_id,
        "team_id": c.team_id,
    }


def task_item(t: planning_pb2.Task) -> dict[str, Any]:
    return {
        "task_id": t.task_id,
        "code": t.code,
        "name": t.name,
        "kind": t.kind,
        "status": t.status,
        "method": t.method,
        "completed_at": _or_none(t.completed_at),
        "note": _or_none(t.note),
    }


def visit_item(v: planning_pb2.Visit) -> dict[str, Any]:
    return {
        "visit_id": v.visit_id,
        "customer": customer_card(v.customer),
        "method": v.method,
        "status": v.status,
        "temporary": v.temporary,
        "tasks_total": v.tasks_total,
        "tasks_done": v.tasks_done,
        "order": v.order,
    }


def visit_detail(v: planning_pb2.Visit) -> dict[str, Any]:
    return {
        "visit_id": v.visit_id,
        "date": v.date,
        "manager_id": v.manager_id,
        "team_id": v.team_id,
        "customer": customer_info(v.customer),
        "method": v.method,
        "status": v.status,
        "temporary": v.temporary,
        "order": v.order,
        "tasks_total": v.tasks_total,
        "tasks_done": v.tasks_done,
        "tasks": [task_item(t) for t in v.tasks],
        "unplanned_tasks": [{"text": u.text, "client_ts": _or_none(u.client_ts)} for u in v.unplanned_tasks],
        "checkin": {"checkin_id": v.checkin_id, "checked_in_at": _or_none(v.checked_in_at)} if v.checkin_id else None,
        "checked_in_at": _or_none(v.checked_in_at),
        "completed_at": _or_none(v.completed_at),
        "summary": _or_none(v.summary),
        "next_steps": _or_none(v.next_steps),
    }


def _counts(c: planning_pb2.PlanCounts) -> dict[str, int]:
    return {
        "planned_customers": c.planned_customers,
        "completed_customers": c.completed_customers,
        "planned_tasks": c.planned_tasks,
        "executed_tasks": c.executed_tasks,
        "temporary_customers": c.temporary_customers,
    }


@router.get("/visits")
async def list_visits(
    caller: CallerDep,
    deps: DepsDep,
    date: DateQuery = "",
    manager_id: ManagerId = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """A day's visit list (today in the company time zone by default), in visit order.

    `manager_id` lets a supervisor read a team member's list (planning enforces who may).
    """
    day = resolve_date(date, deps.settings.timezone)
    offset = decode_cursor(cursor)
    answer = await deps.clients.call(
        deps.clients.planning.ListVisits, planning_pb2.ListVisitsRequest(date=day, manager_id=manager_id or ""), caller
    )
    return page([visit_item(v) for v in answer.visits], limit, offset)


@router.get("/visits/{visit_id}")
async def get_visit(visit_id: Id, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    answer = await deps.clients.call(
        deps.clients.planning.GetVisit, planning_pb2.GetVisitRequest(visit_id=visit_id), caller
    )
    return visit_detail(answer.visit)


@router.get("/plans/summary")
async def plan_summary(
    caller: CallerDep,
    deps: DepsDep,
    period: Period = Period.month,
    date: DateQuery = "",
    manager_id: ManagerId = None,
) -> dict[str, Any]:
    """Planned / completed customers and planned / executed tasks over a month, week or day, with rows."""
    day = resolve_date(date, deps.settings.timezone)
    answer = await deps.clients.call(
        deps.clients.planning.GetPlanSummary,
        planning_pb2.GetPlanSummaryRequest(period=period.value, date=day, manager_id=manager_id or ""),
        caller,
    )
    return {
        "period": answer.period or period.value,
        "start": answer.start,
        "end": answer.end,
        **_counts(answer.counts),
        "rows": [{"date": r.key, **_counts(r.counts)} for r in answer.rows],
    }


@router.get("/tasks/library")
async def task_library(
    caller: CallerDep, deps: DepsDep, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> dict[str, Any]:
    """The base task library with each task's work method."""
    offset = decode_cursor(cursor)
    answer = await deps.clients.call(
        deps.clients.planning.ListTaskLibrary, planning_pb2.ListTaskLibraryRequest(), caller
    )
    items = [{"code": t.code, "name": t.name, "kind": t.kind, "method": t.method} for t in answer.tasks]
    return page(items, limit, offset)


@router.post("/visits/{visit_id}/tasks/{task_id}/complete")
async def complete_task(
    visit_id: Id, task_id: Id, body: CompleteTaskRequest, caller: CallerDep, deps: DepsDep
) -> dict[str, Any]:
    """Mark a task done (409 before check-in); a replayed op_id answers the first result."""
    request = planning_pb2.CompleteTaskRequest(
        op=common_pb2.OpMeta(op_id=body.op_id, client_ts=body.client_ts),
        visit_id=visit_id,
        task_id=task_id,
        note=body.note,
    )
    answer = await deps.clients.call(deps.clients.planning.CompleteTask, request, caller, write=True)
    return {"task": task_item(answer.task), "visit": visit_detail(answer.visit)}


@router.post("/visits/{visit_id}/complete")
async def complete_visit(visit_id: Id, body: CompleteVisitRequest, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """Complete the visit (409 before check-in); answers the visit as GET /visits/{id} does."""
    request = planning_pb2.CompleteVisitRequest(
        op=common_pb2.OpMeta(op_id=body.op_id, client_ts=body.client_ts),
        visit_id=visit_id,
        summary=body.summary,
        next_steps=body.next_steps,
    )
    answer = await deps.clients.call(deps.clients.planning.CompleteVisit, request, caller, write=True)
    return visit_detail(answer.visit)


@router.post("/visits/{visit_id}/unplanned-tasks", status_code=201)
async def add_unplanned_task(
    visit_id: Id, body: UnplannedTaskRequest, caller: CallerDep, deps: DepsDep
) -> dict[str, Any]:
    """Record an unplanned task as free text (409 before check-in, phone visits exempt; 409 on a closed visit).

    Append-only; a replayed op_id answers the first result. Answers the visit as GET /visits/{id} does.
    """
    request = planning_pb2.AddUnplannedTaskRequest(
        op=common_pb2.OpMeta(op_id=body.op_id, client_ts=body.client_ts or ""), visit_id=visit_id, text=body.text
    )
    answer = await deps.clients.call(deps.clients.planning.AddUnplannedTask, request, caller, write=True)
    return visit_detail(answer.visit)


@router.get("/customers/lookup")
async def lookup_customer(
    caller: CallerDep,
    deps: DepsDep,
    qr: Annotated[str, Query(min_length=1, max_length=512)],
    date: Annotated[str | None, Query(max_length=10)] = None,
) -> dict[str, Any]:
    """Change customer: verify the scanned code; the outlet summary and whether it is on the day's list.

    422 invalid_qr for a forged or unknown code; 403 for an outlet outside the caller's serving scope.
    """
    day = resolve_date(date, deps.settings.timezone)
    answer = await deps.clients.call(
        deps.clients.planning.LookupCustomer, planning_pb2.LookupCustomerRequest(qr=qr, date=day), caller
    )
    return {
        "customer": customer_info(answer.customer),
        "date": day,
        "on_list": answer.on_list,
        "visit": visit_item(answer.visit) if answer.on_list else None,
        "may_add": answer.may_add,
    }


@router.post("/visits", status_code=201)
async def add_temporary_visit(body: TemporaryVisitRequest, caller: CallerDep, deps: DepsDep) -> Response:
    """Change customer: 201 a temporary visit on today's list; 200 the visit already there for that customer.

    422 no_tasks_chosen / unknown_task_code / invalid_qr; 403 outside the serving scope. A replayed op_id
    answers the first status and body.
    """
    request = planning_pb2.AddTemporaryVisitRequest(
        op=common_pb2.OpMeta(op_id=body.op_id),
        qr=body.qr,
        customer_id=body.customer_id,
        task_codes=body.task_codes,
    )
    answer = await deps.clients.call(deps.clients.planning.AddTemporaryVisit, request, caller, write=True)
    return JsonResponse({**visit_detail(answer.visit), "created": answer.created}, 201 if answer.created else 200)


async def _live_fix(caller: Caller, deps: Deps) -> tuple[float, float] | None:
    """The manager's newest known position (checkin's live fix); None when unknown or checkin is down."""
    if caller.role != "manager":
        return None
    try:
        fix = await deps.clients.call(deps.clients.checkin.GetLastFix, checkin_pb2.GetLastFixRequest(), caller)
    except ApiError as exc:
        if exc.status < 500:
            raise
        return None
    return (fix.lat, fix.lon) if fix.found else None


@router.get("/route")
async def suggested_route(
    caller: CallerDep,
    deps: DepsDep,
    date: Annotated[str | None, Query(max_length=10)] = None,
    manager_id: ManagerId = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
) -> dict[str, Any]:
    """The day's remaining on-site visits in a suggested order, with leg and total distances (metres).

    Starts at `lat`/`lon` when given, else at the caller's live fix, else at the first remaining outlet.
    """
    day = resolve_date(date, deps.settings.timezone)
    start = (lat, lon) if lat is not None and lon is not None else None
    source = "client" if start else "live_fix"
    if start is None and not manager_id:
        start = await _live_fix(caller, deps)
    request = planning_pb2.SuggestRouteRequest(date=day, manager_id=manager_id or "", has_start=start is not None)
    if start is not None:
        request.start.CopyFrom(common_pb2.GeoPoint(lat=start[0], lon=start[1]))
    answer = await deps.clients.call(deps.clients.planning.SuggestRoute, request, caller)
    cumulative, stops = 0.0, []
    for stop in answer.stops:
        cumulative += stop.leg_m
        stops.append({**visit_item(stop.visit), "leg_m": round(stop.leg_m, 1), "cumulative_m": round(cumulative, 1)})
    return {
        "date": day,
        "start": {"lat": answer.start.lat, "lon": answer.start.lon} if answer.HasField("start") else None,
        "start_source": source if answer.start_source == "position" else answer.start_source,
        "stops": stops,
        "total_m": round(answer.total_m, 1),
    }


def appointment_item(a: planning_pb2.Appointment) -> dict[str, Any]:
    return {
        "appointment_id": a.appointment_id,
        "manager_id": a.manager_id,
        "customer_id": a.customer_id,
        "booked_at": a.booked_at,
        "scheduled_at": a.scheduled_at,
        "duration_min": a.duration_min,
        "purpose": a.purpose,
        "date": a.date,
    }


@router.post("/appointments", status_code=201)
async def book_appointment(body: AppointmentRequest, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """Book a visit time with a customer the caller serves; `warnings` has `short_notice` under a day ahead."""
    request = planning_pb2.BookAppointmentRequest(
        op=common_pb2.OpMeta(op_id=body.op_id),
        customer_id=body.customer_id,
        scheduled_at=body.scheduled_at,
        duration_min=body.duration_min,
        purpose=body.purpose,
    )
    answer = await deps.clients.call(deps.clients.planning.BookAppointment, request, caller, write=True)
    return {**appointment_item(answer.appointment), "warnings": list(answer.warnings)}


@router.get("/appointments")
async def list_appointments(
    caller: CallerDep,
    deps: DepsDep,
    date: Annotated[str | None, Query(max_length=10)] = None,
    manager_id: ManagerId = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """A day's appointments in time order (a supervisor may name a team member)."""
    day = resolve_date(date, deps.settings.timezone)
    offset = decode_cursor(cursor)
    request = planning_pb2.ListAppointmentsRequest(date=day, manager_id=manager_id or "")
    answer = await deps.clients.call(deps.clients.planning.ListAppointments, request, caller)
    return page([appointment_item(a) for a in answer.appointments], limit, offset)


def follow_up_item(f: planning_pb2.FollowUpMessage) -> dict[str, Any]:
    return {
        "follow_up_id": f.follow_up_id,
        "kind": f.kind,
        "manager_id": f.manager_id,
        "customer_id": f.customer_id,
        "visit_id": f.visit_id,
        "text": f.text or None,
        "due_at": f.due_at,
        "done_at": f.done_at or None,
        "overdue": f.overdue,
    }


@router.get("/follow-ups")
async def list_follow_ups(
    caller: CallerDep,
    deps: DepsDep,
    manager_id: ManagerId = None,
    include_done: bool = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Follow-ups owed after completed visits, soonest due first, with `overdue` flagged."""
    offset = decode_cursor(cursor)
    request = planning_pb2.ListFollowUpsRequest(manager_id=manager_id or "", include_done=include_done)
    answer = await deps.clients.call(deps.clients.planning.ListFollowUps, request, caller)
    return page([follow_up_item(f) for f in answer.follow_ups], limit, offset)


@router.post("/follow-ups/{follow_up_id}/done")
async def close_follow_up(follow_up_id: Id, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """Mark a follow-up done (its manager only; 404 otherwise); done twice keeps the first time."""
    request = planning_pb2.CloseFollowUpRequest(follow_up_id=follow_up_id)
    answer = await deps.clients.call(deps.clients.planning.CloseFollowUp, request, caller, write=True)
    return follow_up_item(answer)


def assignment_item(a: planning_pb2.AssignmentMessage) -> dict[str, Any]:
    return {
        "assignment_id": a.assignment_id,
        "customer_id": a.customer_id,
        "manager_id": a.manager_id,
        "team_id": a.team_id,
        "previous_manager_id": a.previous_manager_id or None,
        "effective_from": a.effective_from,
        "assigned_by": a.assigned_by,
        "reason": a.reason,
    }


@router.post("/customers/{customer_id}/assignment", status_code=201)
async def assign_customer(customer_id: Id, body: AssignmentRequest, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """Reassign the responsible manager (a supervisor within their team, an admin anywhere); audited."""
    request = planning_pb2.AssignCustomerRequest(
        op=common_pb2.OpMeta(op_id=body.op_id),
        customer_id=customer_id,
        manager_id=body.manager_id,
        team_id=body.team_id,
        effective_from=body.effective_from or "",
        reason=body.reason,
    )
    answer = await deps.clients.call(deps.clients.planning.AssignCustomer, request, caller, write=True)
    return assignment_item(answer)


@router.get("/customers/{customer_id}/assignments")
async def list_assignments(customer_id: Id, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """The customer's ownership history, oldest first."""
    request = planning_pb2.ListAssignmentsRequest(customer_id=customer_id)
    answer = await deps.clients.call(deps.clients.planning.ListAssignments, request, caller)
    return {"items": [assignment_item(a) for a in answer.assignments], "next_cursor": None}


AdminDep = Annotated[Caller, Depends(require_roles("admin"))]


async def _customer_qr(customer_id: str, caller: Caller, deps: Deps) -> str:
    answer = await deps.clients.call(
        deps.clients.planning.GetCustomerQr, planning_pb2.GetCustomerQrRequest(customer_id=customer_id), caller
    )
    return answer.qr


@router.get("/admin/customers/{customer_id}/qr")
async def customer_qr(customer_id: Id, caller: AdminDep, deps: DepsDep) -> dict[str, str]:
    """The signed payload printed on the outlet's code."""
    return {"customer_id": customer_id, "qr": await _customer_qr(customer_id, caller, deps)}


@router.get(
    "/admin/customers/{customer_id}/qr.svg",
    response_class=Response,
    responses={200: {"description": "the code, to print", "content": {"image/svg+xml": {}}}},
)
async def customer_qr_svg(customer_id: Id, caller: AdminDep, deps: DepsDep) -> Response:
    """The outlet's code as an SVG image, ready to print."""
    qr = await _customer_qr(customer_id, caller, deps)
    buffer = io.BytesIO()
    segno.make(qr, error="m").save(buffer, kind="svg", scale=8, xmldecl=True)
    return Response(buffer.getvalue(), media_type="image/svg+xml")
