"""What a check-in is: the fix the device reported, the verdict on it, the record we keep."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum
from typing import Any

from baifang_common.context import Caller


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
    """docs/domain.md §3.5 decision 11; values come from CheckinSettings."""

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
    """The outlet as shown in a `customer_not_in_plan` answer (docs/api.md)."""

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
    """Planning's answer for a scanned outlet: the customer, whether the code is signed with its secret,
    today's visit if any."""

    customer: CustomerSummary
    qr_valid: bool
    visit: VisitRef | None
    # The check-in holding the visit after planning marked it (the first one); empty when nothing was marked.
    holder: str = ""
    # The scheduled time of the manager's appointment with the outlet that day (P-003-4), if any.
    appointment_at: datetime | None = None
    # This check-in held the visit before the call (a replay): its record is most likely stored already.
    marked_before: bool = False


@dataclass(frozen=True)
class CheckinCommand:
    """POST /checkins as the use case sees it; client times stay as the ISO strings given."""

    caller: Caller
    op_id: str
    qr: str
    lat: float
    lon: float
    accuracy_m: float
    client_ts: str
    mock_location: bool = False
    fix_ts: str = ""
    offline: bool = False
    # The visit selected before scanning (R-1.5.3-c); empty for scan-to-check-in.
    visit_id: str = ""


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
    # P-003-4: checked in later than 5 minutes before the visit's appointment.
    late: bool = False

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


# --- ingestion of GPS track and retail scan batches ---------------------------------


class RejectReason(StrEnum):
    """Why one point or scan of a batch was refused (reported by index, docs/api.md /tracks)."""

    INVALID_COORDINATES = "invalid_coordinates"
    INVALID_ACCURACY = "invalid_accuracy"
    INVALID_SPEED = "invalid_speed"
    INVALID_HEADING = "invalid_heading"
    INVALID_TIMESTAMP = "invalid_timestamp"
    TIMESTAMP_IN_FUTURE = "timestamp_in_future"
    TIMESTAMP_TOO_OLD = "timestamp_too_old"
    DUPLICATE = "duplicate"
    INVALID_CODE = "invalid_code"
    INVALID_QTY = "invalid_qty"
    INVALID_PRICE = "invalid_price"
    INVALID_KIND = "invalid_kind"


class BodyFormat(StrEnum):
    JSON = "json"
    PROTOBUF = "protobuf"


@dataclass(frozen=True)
class IngestLimits:
    """Per-point limits of the ingestion paths; values come from CheckinSettings."""

    max_batch_points: int = 1000
    max_batch_scans: int = 1000
    max_accuracy_m: float = 500.0
    max_speed_mps: float = 100.0
    max_future_s: float = 300.0
    max_age_s: float = 7 * 24 * 3600.0
    max_qty: int = 100_000
    max_unit_price: float = 1_000_000.0


@dataclass(frozen=True)
class Validated:
    """A batch after validation: the accepted items in their compact event form, and the refusals.

    Track item: {lat, lon, accuracy_m, ts, speed_mps?, heading?}; scan item: {code, sku, qty,
    unit_price, kind, ts}; `ts` is the client's ISO text (protobuf input: UTC ISO with ms).
    """

    items: list[dict[str, Any]]
    rejected: list[tuple[int, str]]


# A point of a protobuf body as its decoder gives it: lat, lon, accuracy_m, speed_mps and heading
# (None when absent), device time in epoch ms (None when absent or out of range).
TypedPoint = tuple[float, float, float, float | None, float | None, int | None]
# A scan of a protobuf body: code, sku, qty, unit_price, kind, device time in epoch ms (or None).
TypedScan = tuple[str, str, int, float, str, int | None]


@dataclass(frozen=True)
class BatchBody:
    """A decoded batch body: JSON items as parsed (any values, checked one by one), or the
    TypedPoint / TypedScan tuples of a protobuf body."""

    format: BodyFormat
    items: Sequence[Any]


@dataclass(frozen=True)
class TrackBatchCommand:
    """POST /tracks as the use case sees it: the decoded body and who sent it."""

    caller: Caller
    body: BatchBody
    batch_id: str = ""


@dataclass(frozen=True)
class ScanBatchCommand:
    """POST /scans: the decoded body and the device (and its outlet) the gateway authenticated."""

    device_id: str
    customer_id: str
    body: BatchBody
    batch_id: str = ""


@dataclass(frozen=True)
class BatchResult:
    accepted: int
    rejected: list[tuple[int, str]]


@dataclass(frozen=True)
class GapRule:
    """Tracking gaps: consecutive fixes more than `gap_minutes` apart, both inside the working day."""

    gap_minutes: float = 15.0
    work_start: time = time(8, 0)
    work_end: time = time(19, 0)
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True)
class TrackingGap:
    """A fact for analytics: no fix between two consecutive fixes of a working day."""

    manager_id: str
    team_id: str
    start_ms: int
    end_ms: int
    date: str

    @property
    def gap_id(self) -> str:
        return f"{self.manager_id}:{self.start_ms}:{self.end_ms}"

    @property
    def minutes(self) -> float:
        return round((self.end_ms - self.start_ms) / 60_000, 1)


@dataclass(frozen=True)
class LatestFix:
    """The newest usable point of a batch, offered to the manager's last fix and live position."""

    lat: float
    lon: float
    ms: int
    accuracy_m: float = 0.0
    speed_mps: float | None = None
