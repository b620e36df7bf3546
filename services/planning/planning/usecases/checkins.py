"""Check-in support for the checkin service: resolve a scanned outlet, mark the visit checked in.

check_in_visit does both in one call (the check-in's hot path: one round trip from checkin; here, for a
first check-in, the outlet, the visit read and marked, the day's appointments: four store commands, or
three when the client names the visit it chose); resolve_visit_for_checkin and mark_checked_in are its
two halves.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from baifang_common.context import Caller
from baifang_common.events import CheckinRecorded
from baifang_common.qr import qr_signature_ok
from baifang_common.timeutil import local_date, now_utc, parse_date, parse_ts
from planning.adapters.appointment_store import AppointmentStore
from planning.adapters.customer_store import CustomerStore
from planning.adapters.visit_store import VisitStore
from planning.domain import rules
from planning.domain.errors import CustomerNotFound, LateUploadExpired, VisitClosed, VisitNotFound
from planning.domain.model import Customer, Visit, VisitStatus
from planning.usecases.visits import LateUploads

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
# The worker marks check-ins from checkin.recorded on its own account.
WORKER = Caller.service("planning")


@dataclass(frozen=True)
class ResolveVisitForCheckin:
    caller: Caller
    manager_id: str
    customer_id: str
    date: str
    # The scanned payload, checked here against the outlet's secret (the secret stays in planning).
    qr: str = ""


@dataclass(frozen=True)
class Resolution:
    customer: Customer
    visit: Visit | None
    qr_valid: bool = False


@dataclass(frozen=True)
class MarkCheckedIn:
    caller: Caller
    visit_id: str
    checkin_id: str
    # The check-in's time (ISO 8601 with offset); the server time when empty.
    checked_in_at: str = ""


@dataclass(frozen=True)
class CheckinMark:
    visit: Visit
    checkin_id: str


@dataclass(frozen=True)
class CheckInVisit:
    caller: Caller
    manager_id: str
    customer_id: str
    date: str
    qr: str
    checkin_id: str
    # The check-in's time (ISO 8601 with offset); the server time when empty.
    checked_in_at: str = ""
    # The visit the client chose before scanning (R-1.5.3-c): nothing is marked when the outlet's is another.
    visit_id: str = ""


@dataclass(frozen=True)
class CheckinOutcome:
    """The resolution, and when the visit was marked, the check-in holding it and the appointment time."""

    customer: Customer
    qr_valid: bool
    visit: Visit | None
    checkin_id: str = ""
    appointment_at: datetime | None = None
    # This check-in held the visit before the call (a replay).
    marked_before: bool = False


def check_in_visit(
    cmd: CheckInVisit,
    *,
    visits: VisitStore,
    customers: CustomerStore,
    appointments: AppointmentStore,
    late: LateUploads,
    now: Callable[[], datetime] = now_utc,
) -> CheckinOutcome:
    """Resolve the scanned outlet and, when the code is good and the visit is the manager's that day (and
    the one chosen, if any), mark it checked in; the appointment time comes back for P-003-4.

    When the client chose the visit before scanning (its id comes along), a planned visit is found and
    marked in one conditional write keyed by that id. Otherwise, or when it is not planned, the visit is
    read by its slot and the state machine decides; a planned one is then marked by a write conditional
    on the state read (a write keyed by the slot would scan the collection on NX-27017)."""
    customer, qr_valid = _scanned_outlet(cmd.caller, cmd.manager_id, cmd.date, cmd.customer_id, cmd.qr, customers)
    if not qr_valid:
        return CheckinOutcome(customer, False, visits.find(cmd.manager_id, cmd.date, cmd.customer_id))
    marked, before = None, False
    if cmd.visit_id:  # the visit chosen before the scan: found and marked in one write when it is planned
        at = _checkin_time(cmd.checked_in_at, now)
        marked = visits.check_in_planned(cmd.visit_id, cmd.manager_id, cmd.date, cmd.customer_id, cmd.checkin_id, at)
    if marked is None:
        visit = visits.find(cmd.manager_id, cmd.date, cmd.customer_id)
        if visit is None or (cmd.visit_id and cmd.visit_id != visit.id):
            return CheckinOutcome(customer, True, visit)
        mark_cmd = MarkCheckedIn(cmd.caller, visit.id, cmd.checkin_id, cmd.checked_in_at)
        mark = mark_checked_in(mark_cmd, visits=visits, late=late, now=now, read=visit)
        if mark.checkin_id != cmd.checkin_id:  # another check-in holds the visit: its answer is the one given
            return CheckinOutcome(customer, True, mark.visit, mark.checkin_id)
        marked, before = mark.visit, visit.checkin_id == cmd.checkin_id
    appointment = first_appointment(appointments, cmd.manager_id, cmd.date, cmd.customer_id)
    return CheckinOutcome(customer, True, marked, cmd.checkin_id, appointment, before)


def _checkin_time(checked_in_at: str, now: Callable[[], datetime]) -> datetime:
    """The check-in's time in UTC to the millisecond the store keeps (the server time when not given)."""
    at = parse_ts(checked_in_at, "checked_in_at").astimezone(UTC) if checked_in_at else now()
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def first_appointment(appointments: AppointmentStore, manager_id: str, day: str, customer_id: str) -> datetime | None:
    """When the manager's first appointment with the outlet that day is scheduled (P-003-4), if any."""
    times = [a.scheduled_at for a in appointments.for_day(manager_id, day) if a.customer_id == customer_id]
    return min(times, default=None)


def resolve_visit_for_checkin(
    query: ResolveVisitForCheckin, *, visits: VisitStore, customers: CustomerStore
) -> Resolution:
    """The outlet, whether the scanned code carries its signature and, when it is on the manager's list
    that day, the visit."""
    customer, qr_valid = _scanned_outlet(
        query.caller, query.manager_id, query.date, query.customer_id, query.qr, customers
    )
    visit = visits.find(query.manager_id, query.date, query.customer_id)
    return Resolution(customer, visit, qr_valid=qr_valid)


def _scanned_outlet(
    caller: Caller, manager_id: str, date: str, customer_id: str, qr: str, customers: CustomerStore
) -> tuple[Customer, bool]:
    """The outlet a manager's scan names and whether the code carries its signature (both check-in paths)."""
    rules.ensure_service_or_owner(caller, manager_id)
    parse_date(date)
    customer = customers.get(customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id=customer_id)
    return customer, qr_signature_ok(qr, customer.qr_secret)


def mark_checked_in(
    cmd: MarkCheckedIn,
    *,
    visits: VisitStore,
    late: LateUploads,
    now: Callable[[], datetime] = now_utc,
    read: Visit | None = None,
) -> CheckinMark:
    """planned → checked_in once; later check-ins get the first one back; a missed visit is closed (409).

    A check-in made on a missed visit's own day and uploaded within the late window revives it (R-1.3.3-c).
    `read` is the visit as the caller just read it (saves a read; the conditional write checks it).
    """
    at = _checkin_time(cmd.checked_in_at, now)
    client_day = local_date(at, late.timezone) if cmd.checked_in_at else None
    window = rules.LateWindow(local_date(now(), late.timezone), late.days)
    for _ in range(MAX_ATTEMPTS):
        visit = read if read is not None else visits.get(cmd.visit_id)
        read = None
        if visit is None:
            raise VisitNotFound(visit_id=cmd.visit_id)
        rules.ensure_service_or_owner(cmd.caller, visit.manager_id)
        if rules.checkin_decision(visit, client_day, window) == rules.CheckinDecision.ALREADY:
            return CheckinMark(visit, visit.checkin_id)
        if visits.mark_checked_in(visit.id, cmd.checkin_id, at, from_status=visit.status):
            # The write was conditional on the status read, so the visit is now exactly this.
            marked = dataclasses.replace(
                visit,
                status=VisitStatus.CHECKED_IN,
                checkin_id=cmd.checkin_id,
                checked_in_at=at,
                version=visit.version + 1,
            )
            return CheckinMark(marked, cmd.checkin_id)
    raise RuntimeError(f"visit {cmd.visit_id} kept changing under a check-in")


def apply_checkins_recorded(events: Sequence[CheckinRecorded], *, visits: VisitStore, late: LateUploads) -> None:
    """Safety net behind the synchronous CheckInVisit: the same idempotent state change.

    The batch's visits are read in one lookup; a visit CheckInVisit already marked (nearly every one)
    costs no write, so no inbox is needed either. Two events of one visit in a batch: the second finds
    the first's write (the conditional write fails on the stale read, the retry reads it)."""
    held = visits.get_many([e.visit_id for e in events if e.visit_id])
    for event in events:
        if not event.visit_id:
            continue
        try:
            mark_checked_in(
                MarkCheckedIn(WORKER, event.visit_id, event.checkin_id, event.client_ts or event.received_at),
                visits=visits,
                late=late,
                read=held.get(event.visit_id),
            )
        except (VisitNotFound, VisitClosed, LateUploadExpired) as exc:
            # A fact about a visit we cannot change any more (or never had): recorded by checkin, nothing to do.
            logger.warning("checkin %s not applied to visit %s: %s", event.checkin_id, event.visit_id, exc.code)
