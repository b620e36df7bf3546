"""Reading the visit list and doing the visit work: tasks and completion (idempotent by op_id)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from baifang_common.idempotency import OpStore
from baifang_common.publisher import EventPublisher
from baifang_common.timeutil import iso, now_utc, parse_date, parse_ts
from planning.adapters.customer_store import CustomerStore
from planning.adapters.visit_store import VisitStore
from planning.domain import rules
from planning.domain.errors import VisitNotFound
from planning.domain.model import Customer, Task, Visit, visit_from_dict, visit_to_dict
from planning.usecases import events

logger = logging.getLogger(__name__)
MAX_WRITE_ATTEMPTS = 8


@dataclass(frozen=True)
class VisitView:
    """A visit with its customer card, as the list and detail screens show it."""

    visit: Visit
    customer: Customer | None


@dataclass(frozen=True)
class ListVisits:
    caller: Caller
    date: str
    manager_id: str = ""


@dataclass(frozen=True)
class GetVisit:
    caller: Caller
    visit_id: str


@dataclass(frozen=True)
class CompleteTask:
    caller: Caller
    visit_id: str
    task_id: str
    op_id: str = ""
    client_ts: str = ""
    note: str = ""
    offline: bool = False


@dataclass(frozen=True)
class CompleteVisit:
    caller: Caller
    visit_id: str
    op_id: str = ""
    client_ts: str = ""
    summary: str = ""
    next_steps: str = ""
    offline: bool = False


@dataclass(frozen=True)
class AddUnplannedTask:
    caller: Caller
    visit_id: str
    text: str
    op_id: str = ""
    client_ts: str = ""
    offline: bool = False


@dataclass(frozen=True)
class TaskResult:
    view: VisitView
    task: Task
    # True when the op_id had been applied before and this is the stored first answer.
    replayed: bool = False


@dataclass(frozen=True)
class VisitResult:
    view: VisitView
    # True when the op_id had been applied before and this is the stored first answer.
    replayed: bool = False


def list_visits(query: ListVisits, *, visits: VisitStore, customers: CustomerStore) -> list[VisitView]:
    """The caller's list for a day (or a team member's for a supervisor, anyone's for an admin), in plan order."""
    parse_date(query.date)
    manager_id = query.manager_id or query.caller.id
    day = visits.for_day(manager_id, query.date)
    if manager_id != query.caller.id:
        team_id = day[0].team_id if day else customers.team_of(manager_id)
        rules.ensure_can_read(query.caller, manager_id, team_id)
    cards = customers.get_many(v.customer_id for v in day)
    return [VisitView(v, cards.get(v.customer_id)) for v in day]


def get_visit(query: GetVisit, *, visits: VisitStore, customers: CustomerStore) -> VisitView:
    visit = _load(visits, query.visit_id)
    rules.ensure_can_read(query.caller, visit.manager_id, visit.team_id)
    return VisitView(visit, customers.get(visit.customer_id))


def complete_task(
    cmd: CompleteTask,
    *,
    visits: VisitStore,
    customers: CustomerStore,
    ops: OpStore,
    publisher: EventPublisher,
    now: Callable[[], datetime] = now_utc,
) -> TaskResult:
    """Mark one task done (409 before check-in, except phone visits); replays return the first answer."""
    caller_id = cmd.caller.id
    stored = ops.get(caller_id, cmd.op_id)
    if stored is not None:
        visit, task_id = _decode(stored)
        return TaskResult(VisitView(visit, customers.get(visit.customer_id)), _task(visit, task_id), replayed=True)
    client_ts = _client_ts(cmd.client_ts, now)
    for _ in range(MAX_WRITE_ATTEMPTS):
        visit = _load(visits, cmd.visit_id)
        rules.ensure_can_write(cmd.caller, visit)
        updated, changed = rules.complete_task(
            visit, cmd.task_id, note=cmd.note, client_ts=client_ts, now=now(), op_id=cmd.op_id, offline=cmd.offline
        )
        if changed and not visits.save_if_version(updated, visit.version):
            continue
        break
    else:
        raise RuntimeError(f"visit {cmd.visit_id} kept changing under a task completion")
    task = _task(updated, cmd.task_id)
    # Published after the write and again on an idempotent repeat: the event id is deterministic.
    publisher.publish(events.task_completed(updated, task))
    answer = ops.put(caller_id, cmd.op_id, "task.complete", _encode(updated, task.task_id))
    visit, task_id = _decode(answer)
    return TaskResult(VisitView(visit, customers.get(visit.customer_id)), _task(visit, task_id))


def complete_visit(
    cmd: CompleteVisit,
    *,
    visits: VisitStore,
    customers: CustomerStore,
    ops: OpStore,
    publisher: EventPublisher,
    now: Callable[[], datetime] = now_utc,
) -> VisitResult:
    """checked_in → completed (open tasks stay open); a second completion returns the first."""
    caller_id = cmd.caller.id
    stored = ops.get(caller_id, cmd.op_id)
    if stored is not None:
        visit, _ = _decode(stored)
        return VisitResult(VisitView(visit, customers.get(visit.customer_id)), replayed=True)
    client_ts = _client_ts(cmd.client_ts, now)
    for _ in range(MAX_WRITE_ATTEMPTS):
        visit = _load(visits, cmd.visit_id)
        rules.ensure_can_write(cmd.caller, visit)
        updated, changed = rules.complete_visit(
            visit,
            summary=cmd.summary,
            next_steps=cmd.next_steps,
            client_ts=client_ts,
            now=now(),
            offline=cmd.offline,
            op_id=cmd.op_id,
        )
        if changed and not visits.save_if_version(updated, visit.version):
            continue
        break
    else:
        raise RuntimeError(f"visit {cmd.visit_id} kept changing under its completion")
    publisher.publish(events.visit_completed(updated))
    answer = ops.put(caller_id, cmd.op_id, "visit.complete", _encode(updated, ""))
    visit, _ = _decode(answer)
    return VisitResult(VisitView(visit, customers.get(visit.customer_id)))


def add_unplanned_task(
    cmd: AddUnplannedTask,
    *,
    visits: VisitStore,
    customers: CustomerStore,
    ops: OpStore,
    publisher: EventPublisher,
    now: Callable[[], datetime] = now_utc,
) -> VisitResult:
    """Append the manager's free-text unplanned task (§1.5.6); op_id is required, a replay returns the first answer.

    The entry carries its op_id, so even a retry after a crash between the write and the stored answer
    appends nothing twice; `unplanned_task.recorded` has a deterministic event_id.
    """
    if not cmd.op_id:
        raise InvalidArgument("op_id is required", field="op_id")
    caller_id = cmd.caller.id
    stored = ops.get(caller_id, cmd.op_id)
    if stored is not None:
        visit, _ = _decode(stored)
        return VisitResult(VisitView(visit, customers.get(visit.customer_id)), replayed=True)
    client_ts = _client_ts(cmd.client_ts, now)
    for _ in range(MAX_WRITE_ATTEMPTS):
        visit = _load(visits, cmd.visit_id)
        rules.ensure_can_write(cmd.caller, visit)
        updated, changed = rules.add_unplanned_task(
            visit, text=cmd.text, client_ts=client_ts, now=now(), op_id=cmd.op_id
        )
        if changed and not visits.save_if_version(updated, visit.version):
            continue
        break
    else:
        raise RuntimeError(f"visit {cmd.visit_id} kept changing under an unplanned task")
    entry = next(u for u in updated.unplanned_tasks if u.op_id == cmd.op_id)
    publisher.publish(events.unplanned_task_recorded(updated, entry))
    answer = ops.put(caller_id, cmd.op_id, "unplanned_task", _encode(updated, ""))
    visit, _ = _decode(answer)
    return VisitResult(VisitView(visit, customers.get(visit.customer_id)))


def _load(visits: VisitStore, visit_id: str) -> Visit:
    visit = visits.get(visit_id)
    if visit is None:
        raise VisitNotFound(visit_id=visit_id)
    return visit


def _task(visit: Visit, task_id: str) -> Task:
    task = visit.task(task_id)
    if task is None:  # the domain checked it; only a corrupted replay record gets here
        raise RuntimeError(f"task {task_id} vanished from visit {visit.id}")
    return task


def _client_ts(value: str, now: Callable[[], datetime]) -> str:
    """The client's time exactly as sent (validated); the server time when the client gave none."""
    if value:
        parse_ts(value)
        return value
    return iso(now())


def _encode(visit: Visit, task_id: str) -> bytes:
    return json.dumps({"visit": visit_to_dict(visit), "task_id": task_id}, default=_json_default).encode()


def _decode(raw: bytes) -> tuple[Visit, str]:
    data = json.loads(raw)
    return visit_from_dict(data["visit"]), str(data.get("task_id", ""))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not serialisable: {type(value).__name__}")
