"""What a check-in is: the fix the device reported, the verdict on it, the record we keep."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    OK = "ok"
    TOO_FAR = "too_far"
    SUSPECT = "suspect"


class VerdictReason(StrEnum):
    """Why a check-in is suspect (empty for ok / too_far); first matching reason wins."""

    NONE = ""
    MOCK_LOCATION = "mock_location"
    NO_FIX = "no_fix"
    LOW_ACCURACY = "low_accuracy"
    STALE_FIX = "stale_fix"
    IMPOSSIBLE_TRAVEL = "impossible_travel"
    OUTLET_UNLOCATED = "outlet_unlocated"


@dataclass(frozen=True)
class GeoPoint:
    lat: float
    lon: float


@dataclass(frozen=True)
class Fix:
    """A GPS fix as the device reported it; accuracy_m <= 0 means the device had no fix."""

    point: GeoPoint
    accuracy_m: float
    taken_at: datetime
    mock_location: bool = False


@dataclass(frozen=True)
class PreviousFix:
    """The manager's latest known position, for the impossible-travel check."""

    point: GeoPoint
    taken_at: datetime


@dataclass(frozen=True)
class Thresholds:
    """DOMAIN.md §3.5 decision 11; values come from CheckinSettings."""

    geofence_m: float = 200.0
    max_accuracy_m: float = 100.0
    max_fix_age_s: float = 120.0
    max_speed_kmh: float = 120.0


@dataclass(frozen=True)
class Assessment:
    verdict: Verdict
    reason: VerdictReason
    # -1 when there is no usable fix or the outlet has no location.
    distance_m: float


@dataclass(frozen=True)
class CustomerSummary:
    """The outlet as shown in a `customer_not_in_plan` answer (API.md)."""

    id: str
    code: str
    name: str
    address: str
    star: int
    terminal_type: str
    location: GeoPoint | None

    def to_details(self) -> dict[str, Any]:
        location = {"lat": self.location.lat, "lon": self.location.lon} if self.location else None
        return {
            "id": self.id,
            "code": self.code,
            "name": self.name,
            "address": self.address,
            "star": self.star,
            "terminal_type": self.terminal_type,
            "location": location,
        }


@dataclass(frozen=True)
class VisitRef:
    """The visit planning found for the scan (planning owns its state)."""

    visit_id: str
    manager_id: str
    team_id: str
    date: str
    status: str
    method: str
    checkin_id: str = ""


@dataclass(frozen=True)
class Resolution:
    """Planning's answer for a scanned outlet: the customer, its QR secret, today's visit if any."""

    customer: CustomerSummary
    qr_secret: str
    visit: VisitRef | None


@dataclass(frozen=True)
class CheckinCommand:
    """POST /checkins as the use case sees it; client times stay as the ISO strings given."""

    caller_id: str
    caller_role: str
    caller_team_id: str
    op_id: str
    qr: str
    lat: float
    lon: float
    accuracy_m: float
    client_ts: str
    mock_location: bool = False
    fix_ts: str = ""
    offline: bool = False


@dataclass(frozen=True)
class CheckinRecord:
    """One stored check-in (collection `checkins`, _id = checkin_id)."""

    checkin_id: str
    op_id: str
    manager_id: str
    team_id: str
    visit_id: str
    customer_id: str
    date: str
    lat: float
    lon: float
    accuracy_m: float
    mock_location: bool
    fix_ts: str
    distance_m: float
    verdict: str
    verdict_reason: str
    client_ts: str
    received_at: datetime
    offline: bool = False

    def result(self) -> CheckinResult:
        return CheckinResult(
            checkin_id=self.checkin_id,
            visit_id=self.visit_id,
            customer_id=self.customer_id,
            distance_m=self.distance_m,
            verdict=self.verdict,
            verdict_reason=self.verdict_reason,
            checked_in_at=self.client_ts,
        )


@dataclass(frozen=True)
class CheckinResult:
    """The answer to a check-in; stored per op_id and returned unchanged on replay."""

    checkin_id: str
    visit_id: str
    customer_id: str
    distance_m: float
    verdict: str
    verdict_reason: str
    checked_in_at: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckinResult:
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls)})


@dataclass(frozen=True)
class AttendanceFact:
    """One check-in as an attendance fact: who, which local day, when (UTC ISO, fixed format)."""

    manager_id: str
    team_id: str
    date: str
    checkin_id: str
    at: str
