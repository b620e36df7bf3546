"""Planning's records: customers, base-library tasks, visits and their tasks (frozen values)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from baifang_common.timeutil import parse_ts


class VisitStatus(StrEnum):
    PLANNED = "planned"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    MISSED = "missed"


class VisitMethod(StrEnum):
    ON_SITE = "on_site"
    PHONE = "phone"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class Customer:
    id: str
    code: str
    name: str
    manager_id: str
    team_id: str
    short_code: str = ""
    licence_no: str = ""
    address: str = ""
    lat: float = 0.0
    lon: float = 0.0
    star: int = 0
    terminal_type: str = ""
    credit_grade: str = ""
    value_class: str = ""
    order_type: str = ""
    settlement_method: str = ""
    phone: str = ""
    qr_secret: str = ""
    status: str = "active"
    # The customer file (P-004-4): delivery route and sales area; `version` counts recorded changes.
    route_id: str = ""
    area_id: str = ""
    version: int = 0


@dataclass(frozen=True)
class LibraryTask:
    """An entry of the base task library (基础任务库); `method` is the work-method text."""

    code: str
    name: str
    kind: str
    method: str


@dataclass(frozen=True)
class Task:
    task_id: str
    code: str
    name: str
    kind: str
    method: str
    status: TaskStatus = TaskStatus.OPEN
    # Client time of completion, kept as the client sent it; done_at is the server time.
    completed_at: str = ""
    done_at: datetime | None = None
    note: str = ""
    op_id: str = ""
    # True when the completion came from an offline batch (POST /sync).
    offline: bool = False

    @property
    def done(self) -> bool:
        return self.status == TaskStatus.DONE


@dataclass(frozen=True)
class UnplannedTask:
    """Free text the manager recorded on the visit (§1.5.6); client time as given, server time beside it."""

    text: str
    client_ts: str
    op_id: str = ""
    received_at: datetime | None = None


@dataclass(frozen=True)
class Visit:
    id: str
    manager_id: str
    team_id: str
    date: str
    customer_id: str
    method: VisitMethod = VisitMethod.ON_SITE
    status: VisitStatus = VisitStatus.PLANNED
    temporary: bool = False
    order: int = 0
    tasks: tuple[Task, ...] = ()
    unplanned_tasks: tuple[UnplannedTask, ...] = ()
    checkin_id: str = ""
    checked_in_at: datetime | None = None
    # Server time of completion; completed_client_ts is the client's, as given.
    completed_at: datetime | None = None
    completed_client_ts: str = ""
    summary: str = ""
    next_steps: str = ""
    offline: bool = False
    complete_op_id: str = ""
    version: int = 0
    missed_event_pending: bool = field(default=False)

    @property
    def tasks_total(self) -> int:
        return len(self.tasks)

    @property
    def tasks_done(self) -> int:
        return sum(1 for t in self.tasks if t.done)

    @property
    def closed(self) -> bool:
        return self.status in (VisitStatus.COMPLETED, VisitStatus.MISSED)

    def task(self, task_id: str) -> Task | None:
        return next((t for t in self.tasks if t.task_id == task_id), None)


_VISIT_TIMES = ("checked_in_at", "completed_at")


def visit_to_dict(visit: Visit) -> dict[str, Any]:
    """Plain data (datetimes kept) for the store and for replay answers.

    What dataclasses.asdict gives, field by field: asdict deep-copies every value, a tenth of planning's
    CPU per task completion, and every value here is immutable but the nested tasks.
    """
    data = {name: getattr(visit, name) for name in _VISIT_NAMES}
    data["tasks"] = tuple({name: getattr(t, name) for name in _TASK_NAMES} for t in visit.tasks)
    data["unplanned_tasks"] = tuple(
        {name: getattr(u, name) for name in _UNPLANNED_NAMES} for u in visit.unplanned_tasks
    )
    return data


_VISIT_NAMES = tuple(f.name for f in dataclasses.fields(Visit))
_TASK_NAMES = tuple(f.name for f in dataclasses.fields(Task))
_UNPLANNED_NAMES = tuple(f.name for f in dataclasses.fields(UnplannedTask))


def visit_from_dict(data: dict[str, Any]) -> Visit:
    """Inverse of visit_to_dict; accepts ISO strings where datetimes are expected (JSON replays)."""
    tasks = tuple(
        Task(
            **{
                **{k: v for k, v in t.items() if k in _TASK_FIELDS},
                "status": TaskStatus(t.get("status", "open")),
                "done_at": _dt(t.get("done_at")),
            }
        )
        for t in data.get("tasks", ())
    )
    unplanned = tuple(
        UnplannedTask(
            text=u["text"],
            client_ts=u.get("client_ts", ""),
            op_id=u.get("op_id", ""),
            received_at=_dt(u.get("received_at")),
        )
        for u in data.get("unplanned_tasks", ())
    )
    values = {k: v for k, v in data.items() if k in _VISIT_FIELDS}
    values.update(
        tasks=tasks,
        unplanned_tasks=unplanned,
        method=VisitMethod(data.get("method", "on_site")),
        status=VisitStatus(data.get("status", "planned")),
        **{name: _dt(data.get(name)) for name in _VISIT_TIMES},
    )
    return Visit(**values)


def _dt(value: Any) -> datetime | None:
    """Aware UTC datetimes back; NX-27017 turns a top-level `$set` datetime into a naive UTC string."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return parse_ts(str(value), "stored time", naive_zone=UTC)


_TASK_FIELDS = set(_TASK_NAMES)
_VISIT_FIELDS = set(_VISIT_NAMES)
