"""Check-in support for the checkin service: resolve a scanned outlet, mark the visit checked in."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from baifang_common.context import Caller
from baifang_common.events import CheckinRecorded
from baifang_common.qr import qr_signature_ok
from baifang_common.timeutil import local_date, now_utc, parse_date, parse_ts
from planning.adapters.customer_store import CustomerStore
from planning.adapters.visit_store import VisitStore
from planning.domain import rules
from planning.domain.errors import CustomerNotFound, LateUploadExpired, VisitClosed, VisitNotFound
from planning.domain.model import Customer, Visit
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


def resolve_visit_for_checkin(
    query: ResolveVisitForCheckin, *, visits: VisitStore, customers: CustomerStore
) -> Resolution:
    """The outlet, whether the scanned code carries its signature and, when it is on the manager's list
    that day, the visit."""
    rules.ensure_service_or_owner(query.caller, query.manager_id)
    parse_date(query.date)
    customer = customers.get(query.customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id=query.customer_id)
    visit = visits.find(query.manager_id, query.date, query.customer_id)
    return Resolution(customer, visit, qr_valid=qr_signature_ok(query.qr, customer.qr_secret))


def mark_checked_in(
    cmd: MarkCheckedIn, *, visits: VisitStore, late: LateUploads, now: Callable[[], datetime] = now_utc
) -> CheckinMark:
    """planned → checked_in once; later check-ins get the first one back; a missed visit is closed (409).

    A check-in made on a missed visit's own day and uploaded within the late window revives it (R-1.3.3-c).
    """
    at = parse_ts(cmd.checked_in_at, "checked_in_at").astimezone(UTC) if cmd.checked_in_at else now()
    client_day = local_date(at, late.timezone) if cmd.checked_in_at else None
    window = rules.LateWindow(local_date(now(), late.timezone), late.days)
    for _ in range(MAX_ATTEMPTS):
        visit = visits.get(cmd.visit_id)
        if visit is None:
            raise VisitNotFound(visit_id=cmd.visit_id)
        rules.ensure_service_or_owner(cmd.caller, visit.manager_id)
        if rules.checkin_decision(visit, client_day, window) == rules.CheckinDecision.ALREADY:
            return CheckinMark(visit, visit.checkin_id)
        if visits.mark_checked_in(visit.id, cmd.checkin_id, at, from_status=visit.status):
            marked = visits.get(visit.id) or visit
            return CheckinMark(marked, marked.checkin_id)
    raise RuntimeError(f"visit {cmd.visit_id} kept changing under a check-in")


def apply_checkin_recorded(event: CheckinRecorded, *, visits: VisitStore, late: LateUploads) -> None:
    """Safety net behind the synchronous MarkCheckedIn: the same idempotent state change."""
    if not event.visit_id:
        return
    try:
        mark_checked_in(
            MarkCheckedIn(WORKER, event.visit_id, event.checkin_id, event.client_ts or event.received_at),
            visits=visits,
            late=late,
        )
    except (VisitNotFound, VisitClosed, LateUploadExpired) as exc:
        # A fact about a visit we cannot change any more (or never had): recorded by checkin, nothing to do here.
        logger.warning("checkin %s not applied to visit %s: %s", event.checkin_id, event.visit_id, exc.code)
