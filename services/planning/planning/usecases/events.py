"""Planning's outgoing events with deterministic ids, so a republish after a crash is deduplicated."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import astuple

from baifang_common.events import (
    CustomerUpserted,
    TaskCompleted,
    UnplannedTaskRecorded,
    VisitCompleted,
    VisitMissed,
    VisitTemporaryAdded,
)
from baifang_common.timeutil import iso, now_utc
from planning.domain.model import Customer, Task, UnplannedTask, Visit

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "planning.baifang")


def event_id(*parts: str) -> str:
    """The same fact always gets the same id: uuid5 of "<event_type>:<ids...>"."""
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


def digest(value: object) -> str:
    """A short content hash: the version part of an event id."""
    return hashlib.sha256(repr(value).encode()).hexdigest()[:16]


def customer_upserted(c: Customer) -> CustomerUpserted:
    """The customer record as it now is; the id changes with the content, so a repeat is deduplicated."""
    return CustomerUpserted(
        event_id=event_id("customer.upserted", c.id, digest(astuple(c))),
        customer_id=c.id,
        code=c.code,
        short_code=c.short_code,
        name=c.name,
        licence_no=c.licence_no,
        address=c.address,
        location={"lat": c.lat, "lon": c.lon},
        star=c.star,
        terminal_type=c.terminal_type,
        credit_grade=c.credit_grade,
        value_class=c.value_class,
        order_type=c.order_type,
        settlement_method=c.settlement_method,
        route_id=c.route_id,
        area_id=c.area_id,
        status=c.status,
        version=max(c.version, 1),
    )


def task_completed(visit: Visit, task: Task) -> TaskCompleted:
    return TaskCompleted(
        event_id=event_id("task.completed", visit.id, task.task_id),
        occurred_at=iso(task.done_at or now_utc()),
        visit_id=visit.id,
        task_id=task.task_id,
        task_code=task.code,
        task_kind=task.kind,
        customer_id=visit.customer_id,
        manager_id=visit.manager_id,
        team_id=visit.team_id,
        date=visit.date,
        client_ts=task.completed_at,
        op_id=task.op_id,
        note=task.note,
        offline=task.offline,
    )


def unplanned_task_recorded(visit: Visit, entry: UnplannedTask) -> UnplannedTaskRecorded:
    return UnplannedTaskRecorded(
        event_id=event_id("unplanned_task.recorded", visit.id, entry.op_id),
        occurred_at=iso(entry.received_at or now_utc()),
        visit_id=visit.id,
        customer_id=visit.customer_id,
        manager_id=visit.manager_id,
        text=entry.text,
        client_ts=entry.client_ts,
        op_id=entry.op_id,
    )


def visit_completed(visit: Visit) -> VisitCompleted:
    return VisitCompleted(
        event_id=event_id("visit.completed", visit.id),
        occurred_at=iso(visit.completed_at or now_utc()),
        visit_id=visit.id,
        customer_id=visit.customer_id,
        manager_id=visit.manager_id,
        team_id=visit.team_id,
        date=visit.date,
        temporary=visit.temporary,
        method=visit.method.value,
        checked_in_at=iso(visit.checked_in_at) if visit.checked_in_at else "",
        completed_at=visit.completed_client_ts or (iso(visit.completed_at) if visit.completed_at else ""),
        tasks_total=visit.tasks_total,
        tasks_done=visit.tasks_done,
        op_id=visit.complete_op_id,
        summary=visit.summary,
        next_steps=visit.next_steps,
        offline=visit.offline,
    )


def visit_missed(visit: Visit) -> VisitMissed:
    return VisitMissed(
        event_id=event_id("visit.missed", visit.id),
        visit_id=visit.id,
        customer_id=visit.customer_id,
        manager_id=visit.manager_id,
        team_id=visit.team_id,
        date=visit.date,
    )


def visit_temporary_added(visit: Visit, source: str) -> VisitTemporaryAdded:
    """§1.5.2: the visit joined the day's list; analytics counts it in the live progress."""
    return VisitTemporaryAdded(
        event_id=event_id("visit.temporary_added", visit.id),
        visit_id=visit.id,
        manager_id=visit.manager_id,
        team_id=visit.team_id,
        customer_id=visit.customer_id,
        date=visit.date,
        task_codes=[t.code for t in visit.tasks],
        source=source,
    )
