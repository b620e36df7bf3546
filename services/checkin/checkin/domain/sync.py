"""The offline batch (docs/domain.md §1.3.3) as pure rules: which ops are accepted, in which order, and
how each op's payload becomes the fields of the online operation it replays.

No I/O here: the use case (checkin.usecases.sync) applies the schedule this module computes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from baifang_common.errors import DomainError, InvalidArgument
from baifang_common.timeutil import parse_ts
from checkin.domain.errors import TooManyOps, UnsupportedOpType


class OpType(StrEnum):
    """The offline-capable operations (R-1.3.3-a); unplanned_task is the harmless extension."""

    CHECKIN = "checkin"
    TASK_COMPLETE = "task.complete"
    VISIT_COMPLETE = "visit.complete"
    UNPLANNED_TASK = "unplanned_task"
    # Collected at the outlet: applied by the collection service, in the batch's order.
    PRICE_INVENTORY = "price_inventory"
    AGREED_QUANTITY = "agreed_quantity"
    TERMINAL_INFO = "terminal_info"


class OpStatus(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


SUPPORTED_TYPES = tuple(t.value for t in OpType)
COLLECTION_TYPES = (OpType.PRICE_INVENTORY, OpType.AGREED_QUANTITY, OpType.TERMINAL_INFO)
# Bounds of payload strings, as the online routes have them.
MAX_QR = 512
MAX_ID = 128
MAX_NOTE = 2000
MAX_SUMMARY = 4000
MAX_UNPLANNED_TEXT = 2000


@dataclass(frozen=True)
class OfflineOp:
    """One saved operation as uploaded; client_ts stays the ISO string given."""

    op_id: str
    type: str
    payload: Mapping[str, Any]
    client_ts: str


@dataclass(frozen=True)
class WorkAnswer:
    """An applied operation's result as /sync answers it (JSON-able), and whether it had been applied before."""

    result: dict[str, Any]
    replayed: bool


@dataclass(frozen=True)
class OpOutcome:
    """The answer to one op: applied / duplicate with the operation's result, or rejected with an error."""

    op_id: str
    status: OpStatus
    result: dict[str, Any] | None = None
    error_code: str = ""
    error_message: str = ""
    error_details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def rejected(cls, op_id: str, error: DomainError, code: str | None = None) -> OpOutcome:
        return cls(op_id, OpStatus.REJECTED, None, code or error.code, error.message, dict(error.details))

    def as_duplicate(self, op_id: str) -> OpOutcome:
        """A later op with this outcome's op_id: the same result, answered as a duplicate (rejections stay)."""
        if self.status == OpStatus.REJECTED:
            return OpOutcome(op_id, self.status, None, self.error_code, self.error_message, self.error_details)
        return OpOutcome(op_id, OpStatus.DUPLICATE, self.result)


def encode_applied(op_type: str, result: Mapping[str, Any]) -> bytes:
    """What the sync op store keeps for an applied op: its type and its result (JSON)."""
    return json.dumps({"type": op_type, "result": dict(result)}, ensure_ascii=False).encode()


def decode_applied(raw: bytes) -> dict[str, Any]:
    data = json.loads(raw)
    result: dict[str, Any] = data.get("result") or {}
    return result


@dataclass(frozen=True)
class Schedule:
    """`order`: (index, op) to apply, in client-time order (stable on ties by position).

    `early`: answers known before any I/O (rejected envelopes); `twins`: index → index of the
    first op in the batch with the same op_id (answered from that op's outcome).
    """

    order: tuple[tuple[int, OfflineOp], ...]
    early: Mapping[int, OpOutcome]
    twins: Mapping[int, int]


def check_size(ops: Sequence[OfflineOp], max_ops: int) -> None:
    if len(ops) > max_ops:
        raise TooManyOps(f"at most {max_ops} operations per batch", max=max_ops, given=len(ops))


def plan_batch(ops: Sequence[OfflineOp]) -> Schedule:
    """R-1.3.3-b: sort by client time; reject per op what cannot be applied, never the whole batch."""
    first_index: dict[str, int] = {}
    early: dict[int, OpOutcome] = {}
    twins: dict[int, int] = {}
    keyed: list[tuple[datetime, int, OfflineOp]] = []
    for index, op in enumerate(ops):
        if not op.op_id:
            early[index] = OpOutcome.rejected("", InvalidArgument("op_id is required", field="op_id"))
            continue
        if op.op_id in first_index:
            twins[index] = first_index[op.op_id]
            continue
        first_index[op.op_id] = index
        if op.type not in SUPPORTED_TYPES:
            error = UnsupportedOpType(type=op.type, supported=list(SUPPORTED_TYPES))
            early[index] = OpOutcome.rejected(op.op_id, error)
            continue
        try:
            at = parse_ts(op.client_ts, "client_ts")
        except InvalidArgument as exc:
            early[index] = OpOutcome.rejected(op.op_id, exc)
            continue
        keyed.append((at.astimezone(UTC), index, op))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return Schedule(tuple((index, op) for _, index, op in keyed), early, twins)


# --- payloads --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckinFields:
    qr: str
    lat: float
    lon: float
    accuracy_m: float
    mock_location: bool = False
    fix_ts: str = ""
    visit_id: str = ""


@dataclass(frozen=True)
class TaskFields:
    visit_id: str
    task_id: str
    note: str = ""


@dataclass(frozen=True)
class VisitFields:
    visit_id: str
    summary: str = ""
    next_steps: str = ""


@dataclass(frozen=True)
class UnplannedFields:
    visit_id: str
    text: str


def checkin_fields(payload: Mapping[str, Any]) -> CheckinFields:
    """{qr, lat, lon, accuracy_m, mock_location?, fix_ts?, visit_id?} as POST /checkins takes them (400 per field)."""
    lat = _number(payload, "lat")
    lon = _number(payload, "lon")
    if not -90 <= lat <= 90:
        raise _bad("lat", "must be between -90 and 90")
    if not -180 <= lon <= 180:
        raise _bad("lon", "must be between -180 and 180")
    accuracy = _number(payload, "accuracy_m")
    if accuracy < 0:
        raise _bad("accuracy_m", "must not be negative")
    fix_ts = _text(payload, "fix_ts", required=False, max_len=64)
    if fix_ts:
        parse_ts(fix_ts, "payload.fix_ts")
    return CheckinFields(
        qr=_text(payload, "qr", max_len=MAX_QR),
        lat=lat,
        lon=lon,
        accuracy_m=accuracy,
        mock_location=_flag(payload, "mock_location"),
        fix_ts=fix_ts,
        visit_id=_text(payload, "visit_id", required=False, max_len=128),
    )


def task_fields(payload: Mapping[str, Any]) -> TaskFields:
    return TaskFields(
        visit_id=_text(payload, "visit_id", max_len=MAX_ID),
        task_id=_text(payload, "task_id", max_len=MAX_ID),
        note=_text(payload, "note", required=False, max_len=MAX_NOTE),
    )


def visit_fields(payload: Mapping[str, Any]) -> VisitFields:
    return VisitFields(
        visit_id=_text(payload, "visit_id", max_len=MAX_ID),
        summary=_text(payload, "summary", required=False, max_len=MAX_SUMMARY),
        next_steps=_text(payload, "next_steps", required=False, max_len=MAX_SUMMARY),
    )


def unplanned_fields(payload: Mapping[str, Any]) -> UnplannedFields:
    return UnplannedFields(
        visit_id=_text(payload, "visit_id", max_len=MAX_ID),
        text=_text(payload, "text", max_len=MAX_UNPLANNED_TEXT),
    )


def _bad(name: str, problem: str) -> InvalidArgument:
    return InvalidArgument(f"payload.{name} {problem}", field=f"payload.{name}")


def _text(payload: Mapping[str, Any], name: str, *, required: bool = True, max_len: int) -> str:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise _bad(name, "is required")
        return ""
    if not isinstance(value, str):
        raise _bad(name, "must be a string")
    if len(value) > max_len:
        raise _bad(name, f"is longer than {max_len} characters")
    return value


def _number(payload: Mapping[str, Any], name: str) -> float:
    value = payload.get(name)
    if value is None:
        raise _bad(name, "is required")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(name, "must be a finite number")
    return float(value)


def _flag(payload: Mapping[str, Any], name: str) -> bool:
    value = payload.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _bad(name, "must be true or false")
    return value
