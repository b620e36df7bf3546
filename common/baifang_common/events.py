"""The event catalogue (DOMAIN.md §3.3): every event any service publishes, in one place.

Events are facts in the past tense. The routing key is `event_type`, the exchange
`<producer>.events`, the body the JSON of the dataclass (nameko's format).
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

E = TypeVar("E", bound="Event")


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _uuid() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, kw_only=True)
class Event:
    """Envelope every event carries: event_id for dedupe, occurred_at for the age metric."""

    event_type: ClassVar[str] = ""
    producer: ClassVar[str] = ""

    event_id: str = field(default_factory=_uuid)
    occurred_at: str = field(default_factory=_now)

    def to_body(self) -> dict[str, Any]:
        """Shallow on purpose: `dataclasses.asdict` deep-copies a 1000-point batch (~8 ms)."""
        body: dict[str, Any] = {"event_type": self.event_type, "producer": self.producer}
        for f in dataclasses.fields(self):
            body[f.name] = getattr(self, f.name)
        return body

    @classmethod
    def from_body(cls: type[E], body: dict[str, Any]) -> E:
        """Tolerant reader: unknown fields (added by a newer producer) are ignored."""
        names = _field_names(cls)
        return cls(**{k: v for k, v in body.items() if k in names})


_FIELD_NAMES: dict[type, frozenset[str]] = {}


def _field_names(cls: type) -> frozenset[str]:
    """Looked up once per class: batched consumers decode thousands of events a second."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(f.name for f in dataclasses.fields(cls))
    return names


# --- planning -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CustomerUpserted(Event):
    event_type: ClassVar[str] = "customer.upserted"
    producer: ClassVar[str] = "planning"
    customer_id: str
    code: str
    short_code: str
    name: str
    licence_no: str
    address: str
    location: dict[str, float]
    star: int
    terminal_type: str
    credit_grade: str
    value_class: str
    order_type: str
    settlement_method: str
    route_id: str = ""
    area_id: str = ""
    status: str = "active"
    version: int = 1


@dataclass(frozen=True, kw_only=True)
class CustomerAssigned(Event):
    event_type: ClassVar[str] = "customer.assigned"
    producer: ClassVar[str] = "planning"
    customer_id: str
    manager_id: str
    team_id: str
    previous_manager_id: str = ""
    effective_from: str = ""
    reason: str = "import"
    assigned_by: str = "system"


@dataclass(frozen=True, kw_only=True)
class VisitPlanPublished(Event):
    """One manager's plan for one day; `visits` items: visit_id, customer_id, order, method, task_count."""

    event_type: ClassVar[str] = "visit_plan.published"
    producer: ClassVar[str] = "planning"
    manager_id: str
    team_id: str
    date: str
    visits: list[dict[str, Any]]
    planned_tasks: int


@dataclass(frozen=True, kw_only=True)
class VisitTemporaryAdded(Event):
    event_type: ClassVar[str] = "visit.temporary_added"
    producer: ClassVar[str] = "planning"
    visit_id: str
    manager_id: str
    team_id: str
    customer_id: str
    date: str
    task_codes: list[str]
    source: str = "qr"


@dataclass(frozen=True, kw_only=True)
class TaskCompleted(Event):
    event_type: ClassVar[str] = "task.completed"
    producer: ClassVar[str] = "planning"
    visit_id: str
    task_id: str
    task_code: str
    task_kind: str
    customer_id: str
    manager_id: str
    team_id: str
    date: str
    client_ts: str
    op_id: str = ""
    note: str = ""
    offline: bool = False


@dataclass(frozen=True, kw_only=True)
class UnplannedTaskRecorded(Event):
    event_type: ClassVar[str] = "unplanned_task.recorded"
    producer: ClassVar[str] = "planning"
    visit_id: str
    customer_id: str
    manager_id: str
    text: str
    client_ts: str
    op_id: str = ""


@dataclass(frozen=True, kw_only=True)
class VisitCompleted(Event):
    event_type: ClassVar[str] = "visit.completed"
    producer: ClassVar[str] = "planning"
    visit_id: str
    customer_id: str
    manager_id: str
    team_id: str
    date: str
    temporary: bool
    method: str
    checked_in_at: str
    completed_at: str
    tasks_total: int
    tasks_done: int
    op_id: str = ""
    summary: str = ""
    next_steps: str = ""
    offline: bool = False


@dataclass(frozen=True, kw_only=True)
class VisitMissed(Event):
    event_type: ClassVar[str] = "visit.missed"
    producer: ClassVar[str] = "planning"
    visit_id: str
    customer_id: str
    manager_id: str
    team_id: str
    date: str


# --- checkin --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CheckinRecorded(Event):
    event_type: ClassVar[str] = "checkin.recorded"
    producer: ClassVar[str] = "checkin"
    checkin_id: str
    visit_id: str
    customer_id: str
    manager_id: str
    team_id: str
    date: str
    lat: float
    lon: float
    accuracy_m: float
    distance_m: float
    verdict: str
    verdict_reason: str
    mock_location: bool
    client_ts: str
    received_at: str
    op_id: str = ""
    offline: bool = False


@dataclass(frozen=True, kw_only=True)
class TrackBatchAccepted(Event):
    event_type: ClassVar[str] = "track.batch_accepted"
    producer: ClassVar[str] = "checkin"
    batch_id: str
    manager_id: str
    team_id: str
    points: list[dict[str, Any]]
    accepted: int
    rejected: int
    received_at: str


@dataclass(frozen=True, kw_only=True)
class ScanBatchAccepted(Event):
    event_type: ClassVar[str] = "scan.batch_accepted"
    producer: ClassVar[str] = "checkin"
    batch_id: str
    device_id: str
    customer_id: str
    scans: list[dict[str, Any]]
    received_at: str


# --- collection -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SkuUpserted(Event):
    event_type: ClassVar[str] = "sku.upserted"
    producer: ClassVar[str] = "collection"
    sku: str
    name: str
    brand: str
    short_code: str
    price_class: int
    ref_pack_price_fen: int
    ref_carton_price_fen: int
    packs_per_carton: int
    active: bool = True


CATALOGUE: dict[str, type[Event]] = {
    cls.event_type: cls
    for cls in (
        CustomerUpserted,
        CustomerAssigned,
        VisitPlanPublished,
        VisitTemporaryAdded,
        TaskCompleted,
        UnplannedTaskRecorded,
        VisitCompleted,
        VisitMissed,
        CheckinRecorded,
        TrackBatchAccepted,
        ScanBatchAccepted,
        SkuUpserted,
    )
}
