"""record_checkin: a scanned outlet QR plus a GPS fix becomes one recorded check-in.

Every step is safe to repeat with the same op_id: the check-in id is derived from it, the
store insert is idempotent, planning keeps the first check-in of a visit, and the event id is
derived from the check-in id. So nothing is read first (a round trip on every check-in for the
rare replay). Planning says when this check-in held the visit before the call (a replay): only then
is the stored check-in read, and it is the answer (published again); when it is missing (the attempt
that marked the visit failed before storing it), the replay runs the same steps, which change nothing
that was done. A first check-in thus costs one store command here (the insert). The stored check-in is itself
the kept answer of its op_id, so the OpStore keeps only the answers that are not a check-in of
their own: a scan of a visit checked in before, answered with that first check-in. Only when a
replay can no longer be applied (the plan changed since) is the kept answer read instead.

One call to planning resolves the scanned outlet and marks its visit (CheckInVisit).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from baifang_common.errors import DomainError, InvalidArgument
from baifang_common.events import CheckinRecorded
from baifang_common.idempotency import OpStore
from baifang_common.publisher import EventPublisher
from baifang_common.qr import qr_customer_id
from baifang_common.timeutil import iso, local_date, now_utc, parse_ts
from checkin.adapters.checkin_store import CheckinStore
from checkin.adapters.last_fixes import LastFixes
from checkin.adapters.planning_client import PlanningClient
from checkin.domain.errors import CustomerNotInPlan, FirstCheckinPending, InvalidQr, NotAManager, QrMismatch
from checkin.domain.model import (
    Assessment,
    CheckinCommand,
    CheckinRecord,
    CheckinResult,
    Fix,
    GeoPoint,
    Resolution,
    Thresholds,
    VisitRef,
)
from checkin.domain.rules import (
    checkin_id_for,
    event_id_for,
    is_late,
    is_valid_point,
    remembers_fix,
    verdict_for,
)
from checkin.metrics import CHECKIN_VERDICTS

logger = logging.getLogger(__name__)

OP_KIND = "checkin"


@dataclass(frozen=True)
class CheckinAnswer:
    """The answer, and whether it is the kept answer of an op_id applied before."""

    result: CheckinResult
    replayed: bool = False


@dataclass(frozen=True)
class Scan:
    """What the device reported: when it scanned, its fix, and the company-local date of the scan."""

    at: datetime
    fix: Fix
    date: str


def record_checkin(
    cmd: CheckinCommand,
    *,
    checkins: CheckinStore,
    planning: PlanningClient,
    publisher: EventPublisher,
    ops: OpStore,
    last_fixes: LastFixes,
    thresholds: Thresholds,
    timezone: str,
) -> CheckinAnswer:
    """Record the check-in whatever its verdict; refuse only bad codes and outlets not on the list."""
    if not cmd.caller.is_manager:
        raise NotAManager(role=cmd.caller.role)
    if not cmd.op_id:
        raise InvalidArgument("op_id is required", field="op_id")
    try:
        return _apply(cmd, checkins, planning, publisher, ops, last_fixes, thresholds, timezone)
    except DomainError:
        kept = _kept(cmd, checkins, ops, publisher)
        if kept is None:
            raise
        return kept


def _apply(
    cmd: CheckinCommand,
    checkins: CheckinStore,
    planning: PlanningClient,
    publisher: EventPublisher,
    ops: OpStore,
    last_fixes: LastFixes,
    thresholds: Thresholds,
    timezone: str,
) -> CheckinAnswer:
    scan = _scan(cmd, timezone)
    checkin_id = checkin_id_for(cmd.caller.id, cmd.op_id)
    customer_id, resolution, visit = _planned_visit(cmd, scan.date, checkin_id, planning)
    if resolution.holder != checkin_id:
        return _held_by_another(cmd, checkin_id, resolution.holder, visit.visit_id, checkins, ops, publisher)
    if resolution.marked_before:  # a replay: its check-in is most likely stored, and is the answer
        own = checkins.get(checkin_id)
        if own is not None:
            return _republished(own, publisher)
    # The fix is remembered as it is read, before the insert: a check-in that then fails still leaves the
    # device's fix as the manager's last one (newer-wins, so a retry changes nothing).
    remembered = (scan.fix.point, scan.fix.taken_at) if remembers_fix(scan.fix, thresholds) else None
    previous = last_fixes.swap(cmd.caller.id, remembered)
    outlet = resolution.customer.location
    assessment = verdict_for(scan.fix, outlet=outlet, scanned_at=scan.at, previous=previous, thresholds=thresholds)
    late = is_late(scan.at, resolution.appointment_at)
    record = _record(cmd, checkin_id, customer_id, visit, scan.date, assessment, late)
    stored, created = _store(record, checkins, publisher)
    return CheckinAnswer(stored.result(), replayed=not created)


def _scan(cmd: CheckinCommand, timezone: str) -> Scan:
    """The client's times (the fix defaults to the scan time) and a WGS-84 point, or a 400."""
    scanned_at = parse_ts(cmd.client_ts, "client_ts")
    taken_at = parse_ts(cmd.fix_ts, "fix_ts") if cmd.fix_ts else scanned_at
    point = GeoPoint(cmd.lat, cmd.lon)
    if not is_valid_point(point):
        raise InvalidArgument("lat/lon are not WGS-84 coordinates", field="lat")
    fix = Fix(point, cmd.accuracy_m, taken_at, cmd.mock_location)
    return Scan(scanned_at, fix, local_date(scanned_at, timezone).isoformat())


def _planned_visit(
    cmd: CheckinCommand, date: str, checkin_id: str, planning: PlanningClient
) -> tuple[str, Resolution, VisitRef]:
    """The outlet the code names (its signature checked by planning, which holds the secret) and the
    manager's visit to it that day, which planning marks checked in when both are right."""
    customer_id = qr_customer_id(cmd.qr)
    if customer_id is None:
        raise InvalidQr(reason="malformed")
    resolution = planning.check_in_visit(
        manager_id=cmd.caller.id,
        customer_id=customer_id,
        date=date,
        qr=cmd.qr,
        checkin_id=checkin_id,
        checked_in_at=cmd.client_ts,
        visit_id=cmd.visit_id,
    )
    if resolution is None:
        raise InvalidQr(reason="unknown_customer")
    if not resolution.qr_valid:
        raise InvalidQr(reason="bad_signature")
    if cmd.visit_id and (resolution.visit is None or resolution.visit.visit_id != cmd.visit_id):
        # R-1.5.3-c: way 1 (customer selected, then scanned) needs that customer's own code.
        raise QrMismatch(visit_id=cmd.visit_id, customer_id=customer_id)
    if resolution.visit is None:
        raise CustomerNotInPlan(customer=resolution.customer.to_details(), date=date)
    return customer_id, resolution, resolution.visit


def _held_by_another(
    cmd: CheckinCommand,
    checkin_id: str,
    holder: str,
    visit_id: str,
    checkins: CheckinStore,
    ops: OpStore,
    publisher: EventPublisher,
) -> CheckinAnswer:
    """docs/domain.md §3.4: a second check-in on a checked-in visit returns the first.

    One lookup reads both the first check-in and this op's own (stored when the visit moved on since,
    and then its answer). The answer is kept for the op_id; a replay finds it kept by the insert."""
    found = checkins.get_many([checkin_id, holder])
    own = found.get(checkin_id)
    if own is not None:
        return _republished(own, publisher)
    first = found.get(holder)
    if first is None:
        raise FirstCheckinPending(visit_id=visit_id)  # record_checkin still looks for a kept answer
    logger.info("visit already checked in, returning the first check-in: %s", visit_id)
    return _answer(ops, cmd, first.result())


def _record(
    cmd: CheckinCommand,
    checkin_id: str,
    customer_id: str,
    visit: VisitRef,
    date: str,
    assessment: Assessment,
    late: bool,
) -> CheckinRecord:
    return CheckinRecord(
        checkin_id=checkin_id,
        op_id=cmd.op_id,
        manager_id=cmd.caller.id,
        team_id=visit.team_id or cmd.caller.team_id,
        visit_id=visit.visit_id,
        customer_id=customer_id,
        date=visit.date or date,
        lat=cmd.lat,
        lon=cmd.lon,
        accuracy_m=cmd.accuracy_m,
        mock_location=cmd.mock_location,
        fix_ts=cmd.fix_ts,
        distance_m=assessment.distance_m,
        verdict=assessment.verdict.value,
        verdict_reason=assessment.reason.value,
        client_ts=cmd.client_ts,
        received_at=now_utc(),
        offline=cmd.offline,
        late=late,
    )


def _store(record: CheckinRecord, checkins: CheckinStore, publisher: EventPublisher) -> tuple[CheckinRecord, bool]:
    """Insert once and publish; after a crash the first attempt's record (and verdict) is the truth.
    Returns the stored record and whether this call stored it."""
    stored, created = checkins.insert_once(record)
    publisher.publish(_event(stored))
    if created:
        CHECKIN_VERDICTS.labels(stored.verdict).inc()
    return stored, created


def _event(record: CheckinRecord) -> CheckinRecorded:
    return CheckinRecorded(
        event_id=event_id_for(record.checkin_id),
        occurred_at=iso(record.received_at),
        checkin_id=record.checkin_id,
        visit_id=record.visit_id,
        customer_id=record.customer_id,
        manager_id=record.manager_id,
        team_id=record.team_id,
        date=record.date,
        lat=record.lat,
        lon=record.lon,
        accuracy_m=record.accuracy_m,
        distance_m=record.distance_m,
        verdict=record.verdict,
        verdict_reason=record.verdict_reason,
        mock_location=record.mock_location,
        client_ts=record.client_ts,
        received_at=iso(record.received_at),
        op_id=record.op_id,
        offline=record.offline,
        late=record.late,
    )


def _kept(cmd: CheckinCommand, checkins: CheckinStore, ops: OpStore, publisher: EventPublisher) -> CheckinAnswer | None:
    """The answer this op_id was given before: its own check-in (published again), or the first check-in
    it was answered with."""
    own = checkins.get(checkin_id_for(cmd.caller.id, cmd.op_id))
    if own is not None:
        return _republished(own, publisher)
    replay = ops.get(cmd.caller.id, cmd.op_id)
    return CheckinAnswer(_decode(replay), replayed=True) if replay is not None else None


def _republished(own: CheckinRecord, publisher: EventPublisher) -> CheckinAnswer:
    """This op's stored check-in as the answer, published again first (the same event id: consumers drop
    the copy), because the attempt that stored it may have failed before publishing it."""
    publisher.publish(_event(own))
    return CheckinAnswer(own.result(), replayed=True)


def _answer(ops: OpStore, cmd: CheckinCommand, result: CheckinResult) -> CheckinAnswer:
    """Keep the answer for this op_id; when it was kept before (a replay, or a concurrent twin that stored
    first), the kept one is the answer."""
    kept, first = ops.put_once(cmd.caller.id, cmd.op_id, OP_KIND, json.dumps(result.to_dict()).encode())
    return CheckinAnswer(_decode(kept), replayed=not first)


def _decode(raw: bytes) -> CheckinResult:
    return CheckinResult.from_dict(json.loads(raw))
