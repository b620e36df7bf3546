"""The event catalogue (docs/domain.md §3.3): every event any service publishes, in one place.

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
    # The visit's manager-day, so the team's live progress counts the entry (analytics).
    team_id: str = ""
    date: str = ""


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


# --- planning: the manager's day beyond visits (assistant, appointments, follow-ups, requests) ---


@dataclass(frozen=True, kw_only=True)
class NoteWritten(Event):
    """A private note was created, changed or deleted: counts only, never its text (P-004-15)."""

    event_type: ClassVar[str] = "note.written"
    producer: ClassVar[str] = "planning"
    note_id: str
    author_id: str
    action: str  # created | updated | deleted
    version: int = 0


@dataclass(frozen=True, kw_only=True)
class NoticePosted(Event):
    event_type: ClassVar[str] = "notice.posted"
    producer: ClassVar[str] = "planning"
    notice_id: str
    author_id: str
    audience: str  # a team id, or "*" for everyone
    title: str


@dataclass(frozen=True, kw_only=True)
class NoticeReadRecorded(Event):
    event_type: ClassVar[str] = "notice.read"
    producer: ClassVar[str] = "planning"
    notice_id: str
    reader_id: str
    read_at: str


@dataclass(frozen=True, kw_only=True)
class AppointmentBooked(Event):
    event_type: ClassVar[str] = "appointment.booked"
    producer: ClassVar[str] = "planning"
    appointment_id: str
    customer_id: str
    manager_id: str
    team_id: str
    date: str
    booked_at: str
    scheduled_at: str
    duration_min: int
    purpose: str
    short_notice: bool = False


@dataclass(frozen=True, kw_only=True)
class FollowUpChanged(Event):
    """A follow-up item was created (by a completed visit) or closed."""

    event_type: ClassVar[str] = "follow_up.changed"
    producer: ClassVar[str] = "planning"
    follow_up_id: str
    kind: str
    customer_id: str
    manager_id: str
    team_id: str
    visit_id: str
    status: str  # open | done
    due_at: str
    done_at: str = ""


@dataclass(frozen=True, kw_only=True)
class CustomerIssueChanged(Event):
    """A customer request or complaint was opened or moved (open → in_progress → resolved)."""

    event_type: ClassVar[str] = "customer_issue.changed"
    producer: ClassVar[str] = "planning"
    issue_id: str
    kind: str
    customer_id: str
    manager_id: str
    team_id: str
    status: str
    opened_at: str
    reply_due_at: str
    changed_by: str
    version: int = 0


@dataclass(frozen=True, kw_only=True)
class WorkSummarySaved(Event):
    """A manager's daily work summary and next-day plan (P-002-4) was saved (again)."""

    event_type: ClassVar[str] = "work_summary.saved"
    producer: ClassVar[str] = "planning"
    manager_id: str
    team_id: str
    date: str
    version: int
    saved_at: str


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
    # P-003-4: later than 5 minutes before the visit's appointment (false when there is none).
    late: bool = False


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
class OrdersRecorded(Event):
    """Order lines imported from the marketing system (docs/domain.md §1.8), one chunk of an import per event.

    Each line: order_id, line_no, customer_id, manager_id, team_id (as collection's ownership cache knows
    them at import, "" when unknown), sku, quantity (cartons), amount_fen, order_date (YYYY-MM-DD).
    A line is identified by (order_id, line_no); a re-import republishes the same keys, so consumers upsert.
    """

    event_type: ClassVar[str] = "orders.recorded"
    producer: ClassVar[str] = "collection"
    import_id: str
    lines: list[dict[str, Any]]


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


@dataclass(frozen=True, kw_only=True)
class PriceInventorySubmitted(Event):
    """A price & stock collection (docs/domain.md §1.5.8.1); money in fen, sales = prev_stock + purchased − stock.

    A later submission for the same visit supersedes an earlier one: consumers keep the latest per visit_id.
    """

    event_type: ClassVar[str] = "price_inventory.submitted"
    producer: ClassVar[str] = "collection"
    collection_id: str
    visit_id: str
    customer_id: str
    manager_id: str
    team_id: str
    date: str
    submitted_at: str
    client_ts: str
    lines: list[dict[str, Any]]
    op_id: str = ""


@dataclass(frozen=True, kw_only=True)
class AgreedQuantitySubmitted(Event):
    """A customer's agreed quantity for a month (docs/domain.md §1.5.8.2); submitted once, never changed."""

    event_type: ClassVar[str] = "agreed_quantity.submitted"
    producer: ClassVar[str] = "collection"
    customer_id: str
    month: str
    manager_id: str
    team_id: str
    lines: list[dict[str, Any]]
    total: int
    submitted_at: str
    op_id: str = ""


@dataclass(frozen=True, kw_only=True)
class TerminalResourcesCollected(Event):
    """A new version of a customer's terminal resources (docs/domain.md §1.5.8.3); values by item code."""

    event_type: ClassVar[str] = "terminal_resources.collected"
    producer: ClassVar[str] = "collection"
    customer_id: str
    version: int
    values: dict[str, Any]
    saved_by: str
    saved_at: str
    visit_id: str = ""
    op_id: str = ""


@dataclass(frozen=True, kw_only=True)
class TerminalInfoUpdated(Event):
    """A new version of a customer's terminal information (§1.5.8.4 = §1.6.2).

    `card_fields` holds the values that belong on the customer card (e.g. terminal_type), for planning.
    """

    event_type: ClassVar[str] = "terminal_info.updated"
    producer: ClassVar[str] = "collection"
    customer_id: str
    version: int
    values: dict[str, Any]
    card_fields: dict[str, Any]
    saved_by: str
    saved_at: str
    visit_id: str = ""
    op_id: str = ""


@dataclass(frozen=True, kw_only=True)
class SupplyAdjustmentEvent(Event):
    """A transition of a supply adjustment (docs/domain.md §1.5.9.1); `lines` are increases [{sku, qty}].

    Only `supply_adjustment.approved` changes the customer's effective quantity for the month.
    """

    producer: ClassVar[str] = "collection"
    adjustment_id: str
    customer_id: str
    month: str
    manager_id: str
    team_id: str
    lines: list[dict[str, Any]]
    reason: str
    status: str
    decided_by: str = ""
    at: str = ""


@dataclass(frozen=True, kw_only=True)
class SupplyAdjustmentRequested(SupplyAdjustmentEvent):
    event_type: ClassVar[str] = "supply_adjustment.requested"


@dataclass(frozen=True, kw_only=True)
class SupplyAdjustmentApproved(SupplyAdjustmentEvent):
    event_type: ClassVar[str] = "supply_adjustment.approved"


@dataclass(frozen=True, kw_only=True)
class SupplyAdjustmentRejected(SupplyAdjustmentEvent):
    event_type: ClassVar[str] = "supply_adjustment.rejected"


@dataclass(frozen=True, kw_only=True)
class SupplyAdjustmentWithdrawn(SupplyAdjustmentEvent):
    event_type: ClassVar[str] = "supply_adjustment.withdrawn"


@dataclass(frozen=True, kw_only=True)
class SpecialUseReported(Event):
    """A special-use report (docs/domain.md §1.5.9.2); the consumer's name and phone are not carried."""

    event_type: ClassVar[str] = "special_use.reported"
    producer: ClassVar[str] = "collection"
    report_id: str
    customer_id: str
    manager_id: str
    team_id: str
    occasion: str
    area: str
    event_date: str
    lines: list[dict[str, Any]]
    warnings: int
    filed_at: str


@dataclass(frozen=True, kw_only=True)
class PromotionFeedbackRecorded(Event):
    """A customer's feedback and sales intention on a brand promotion (docs/domain.md §1.5.10, P-002-T4)."""

    event_type: ClassVar[str] = "promotion.feedback_recorded"
    producer: ClassVar[str] = "collection"
    feedback_id: str
    promotion_id: str
    customer_id: str
    manager_id: str
    team_id: str
    visit_id: str
    intent: str
    intended_qty: int
    feedback: str
    recorded_at: str


@dataclass(frozen=True, kw_only=True)
class ShelvingRecorded(Event):
    """Key brands seen shelved or not at a visit (P-002-T3); facts [{brand, shelved}]."""

    event_type: ClassVar[str] = "shelving.recorded"
    producer: ClassVar[str] = "collection"
    record_id: str
    visit_id: str
    customer_id: str
    manager_id: str
    team_id: str
    date: str
    facts: list[dict[str, Any]]
    recorded_at: str


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
        NoteWritten,
        NoticePosted,
        NoticeReadRecorded,
        AppointmentBooked,
        FollowUpChanged,
        CustomerIssueChanged,
        WorkSummarySaved,
        CheckinRecorded,
        TrackBatchAccepted,
        ScanBatchAccepted,
        SkuUpserted,
        OrdersRecorded,
        PriceInventorySubmitted,
        AgreedQuantitySubmitted,
        TerminalResourcesCollected,
        TerminalInfoUpdated,
        SupplyAdjustmentRequested,
        SupplyAdjustmentApproved,
        SupplyAdjustmentRejected,
        SupplyAdjustmentWithdrawn,
        SpecialUseReported,
        PromotionFeedbackRecorded,
        ShelvingRecorded,
    )
}
