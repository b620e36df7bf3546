"""Pure rules of a check-in: distance to the outlet, the geofence verdict, attendance facts."""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta

from checkin.domain.model import Assessment, Fix, GeoPoint, PreviousFix, Thresholds, Verdict, VerdictReason

EARTH_RADIUS_M = 6_371_008.8
# Fixed namespace so ids derived from (caller, op_id) are the same in every process and run.
ID_NAMESPACE = uuid.UUID("6f1c6a52-7d0e-4c57-9a59-2f3c0e0b7a11")
# Two fixes closer in time than this are treated as this far apart (no division by zero).
MIN_TRAVEL_SECONDS = 1.0
# P-003-4: keep the appointment, arriving at least this long before its scheduled time.
ARRIVE_BEFORE = timedelta(minutes=5)


def distance_m(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle (haversine) distance in metres on the WGS-84 mean radius."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlon = math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def is_valid_point(point: GeoPoint) -> bool:
    return math.isfinite(point.lat) and math.isfinite(point.lon) and -90 <= point.lat <= 90 and -180 <= point.lon <= 180


def has_fix(fix: Fix) -> bool:
    """No fix: the device gave no accuracy (0 / missing) or the null island placeholder."""
    return fix.accuracy_m > 0 and is_valid_point(fix.point) and not (fix.point.lat == 0 and fix.point.lon == 0)


def speed_kmh(previous: PreviousFix, fix: Fix) -> float:
    seconds = max(abs((fix.taken_at - previous.taken_at).total_seconds()), MIN_TRAVEL_SECONDS)
    return distance_m(previous.point, fix.point) / seconds * 3.6


def verdict_for(
    fix: Fix,
    *,
    outlet: GeoPoint | None,
    scanned_at: datetime,
    previous: PreviousFix | None,
    thresholds: Thresholds,
) -> Assessment:
    """ok within the geofence (inclusive), too_far beyond; suspect overrides both (decision 11)."""
    usable = has_fix(fix)
    distance = round(distance_m(fix.point, outlet), 1) if usable and outlet is not None else -1.0
    reason = VerdictReason.NONE
    if fix.mock_location:
        reason = VerdictReason.MOCK_LOCATION
    elif not usable:
        reason = VerdictReason.NO_FIX
    elif fix.accuracy_m > thresholds.max_accuracy_m:
        reason = VerdictReason.LOW_ACCURACY
    elif (scanned_at - fix.taken_at).total_seconds() > thresholds.max_fix_age_s:
        reason = VerdictReason.STALE_FIX
    elif previous is not None and speed_kmh(previous, fix) > thresholds.max_speed_kmh:
        reason = VerdictReason.IMPOSSIBLE_TRAVEL
    elif outlet is None:
        reason = VerdictReason.OUTLET_UNLOCATED
    if reason is not VerdictReason.NONE:
        return Assessment(Verdict.SUSPECT, reason, distance)
    verdict = Verdict.OK if distance <= thresholds.geofence_m else Verdict.TOO_FAR
    return Assessment(verdict, VerdictReason.NONE, distance)


def is_late(scanned_at: datetime, appointment_at: datetime | None) -> bool:
    """P-003-4: a check-in later than the appointment's scheduled time minus 5 minutes is late."""
    return appointment_at is not None and scanned_at > appointment_at - ARRIVE_BEFORE


def remembers_fix(fix: Fix, thresholds: Thresholds) -> bool:
    """A fix becomes the manager's 'previous fix' unless it is spoofed, missing or too vague: the three
    reasons `verdict_for` checks first, from the fix alone, so this is known before the previous fix is
    read (and both go in one Redis round trip)."""
    return not fix.mock_location and has_fix(fix) and fix.accuracy_m <= thresholds.max_accuracy_m


def checkin_id_for(caller_id: str, op_id: str) -> str:
    """Deterministic, so a request retried after a crash gets the same check-in id."""
    return str(uuid.uuid5(ID_NAMESPACE, f"checkin:{caller_id}:{op_id}"))


def event_id_for(checkin_id: str) -> str:
    """Deterministic, so a re-published checkin.recorded is deduplicated by its consumers."""
    return str(uuid.uuid5(ID_NAMESPACE, f"checkin.recorded:{checkin_id}"))
