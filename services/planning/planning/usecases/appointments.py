"""Appointments (P-003-3..5): book a visit time with a customer; short notice is warned, not refused."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from baifang_common.publisher import EventPublisher
from baifang_common.timeutil import local_date, now_utc, parse_date, parse_ts
from planning.adapters.appointment_store import AppointmentStore
from planning.adapters.customer_store import CustomerStore
from planning.domain import rules
from planning.domain.appointments import Appointment, check_appointment, warnings_for
from planning.domain.errors import CustomerNotFound, ManagersOnly
from planning.usecases import events
from planning.usecases.events import event_id


@dataclass(frozen=True)
class BookAppointment:
    caller: Caller
    op_id: str
    customer_id: str
    scheduled_at: str
    duration_min: int
    purpose: str


@dataclass(frozen=True)
class Booking:
    appointment: Appointment
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class ListAppointments:
    caller: Caller
    date: str
    manager_id: str = ""


def book_appointment(
    cmd: BookAppointment,
    *,
    appointments: AppointmentStore,
    customers: CustomerStore,
    scope: rules.ServingScope,
    timezone: str,
    publisher: EventPublisher,
    now: Callable[[], datetime] = now_utc,
) -> Booking:
    """A manager books a customer they may serve; idempotent by op_id (the id derives from it)."""
    if not cmd.caller.is_manager:
        raise ManagersOnly(role=cmd.caller.role)
    if not cmd.op_id:
        raise InvalidArgument("op_id is required", field="op_id")
    appointment_id = "ap-" + event_id("appointment", cmd.caller.id, cmd.op_id)
    kept = appointments.get(appointment_id)
    if kept is not None:
        return Booking(kept, tuple(warnings_for(kept.booked_at, kept.scheduled_at)))
    customer = customers.get(cmd.customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id=cmd.customer_id)
    rules.ensure_may_serve(cmd.caller, customer, scope)
    booked_at = now().astimezone(UTC).replace(microsecond=0)
    scheduled = parse_ts(cmd.scheduled_at, "scheduled_at").astimezone(UTC)
    warnings = check_appointment(booked_at, scheduled, cmd.duration_min, cmd.purpose)
    appointment = Appointment(
        id=appointment_id,
        manager_id=cmd.caller.id,
        team_id=cmd.caller.team_id or customer.team_id,
        customer_id=customer.id,
        booked_at=booked_at,
        scheduled_at=scheduled,
        duration_min=cmd.duration_min,
        purpose=cmd.purpose.strip(),
        date=local_date(scheduled, timezone).isoformat(),
    )
    appointments.insert(appointment)
    booked = appointments.get(appointment_id) or appointment
    publisher.publish(events.appointment_booked(booked, short_notice=bool(warnings)))
    return Booking(booked, tuple(warnings))


def list_appointments(
    query: ListAppointments, *, appointments: AppointmentStore, customers: CustomerStore
) -> list[Appointment]:
    """A day's appointments in time order: the caller's, or a team member's for their supervisor."""
    parse_date(query.date)
    manager_id = query.manager_id or query.caller.id
    if manager_id != query.caller.id:
        rules.ensure_can_read(query.caller, manager_id, customers.team_of(manager_id))
    return appointments.for_day(manager_id, query.date)
