"""Reading the visit list and doing the visit work: tasks and completion (idempotent by op_id)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from baifang_common.context import Caller
from baifang_common.errors import DomainError, InvalidArgument
from baifang_common.events import Event
from baifang_common.idempotency import OpStore
from baifang_common.publisher import EventPublisher
from baifang_common.timeutil import iso, local_date, now_utc, parse_date, parse_ts
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
class LateUploads:
    """R-1.3.3-c configuration: the company time zone and PLANNING_LATE_UPLOAD_DAYS."""

    timezone: str
    days: int

    def window(self, client_ts: str, at: datetime) -> tuple[date, rules.LateWindow]:
        """The company-local day the client did the work, and the window as of `at`."""
        return local_date(parse_ts(client_ts), self.timezone), rules.LateWindow(
            local_date(at, self.timezone), self.days
        )


def late_terms(late: LateUploads | None, offline: bool, client_ts: str, at: datetime) -> dict[str, Any]:
    """The late-day keywords of the domain rules: only offline work may revive a missed day."""
    if late is None or not offline:
        return {}
    client_day, window = late.window(client_ts, at)
    return {"client_day": client_day, "window": window}


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
class VisitWork:
    """What every write on a visit carries: who, which visit, and the client's op (id, time, offline)."""

    caller: Caller
    visit_id: str
    op_id: str = ""
    client_ts: str = ""
    offline: bool = False


@dataclass(frozen=True, kw_only=True)
class CompleteTask(VisitWork):
    task_id: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class CompleteVisit(VisitWork):
    summary: str = ""
    next_steps: str = ""


@dataclass(frozen=True, kw_only=True)
class AddUnplannedTask(VisitWork):
    text: str


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
    late: LateUploads | None = None,
    now: Callable[[], datetime] = now_utc,
) -> TaskResult:
    """Mark one task done (409 before check-in, except phone visits); replays return the first answer.

    Offline work of a past missed day within the late window is applied (R-1.3.3-c).
    """

    def mutate(visit: Visit, client_ts: str, at: datetime) -> tuple[Visit, bool]:
        return rules.complete_task(
            visit,
            cmd.task_id,
            note=cmd.note,
            client_ts=client_ts,
            now=at,
            op_id=cmd.op_id,
            offline=cmd.offline,
            **late_terms(late, cmd.offline, client_ts, at),
        )

    def event(updated: Visit) -> Event:
        # Published after the write and again on an idempotent repeat: the event id is deterministic.
        return events.task_completed(updated, _task(updated, cmd.task_id))

    write = _write_visit(cmd, "task.complete", mutate, event, visits=visits, ops=ops, publisher=publisher, now=now)
    view = VisitView(write.visit, customers.get(write.visit.customer_id))
    return TaskResult(view, _task(write.visit, write.task_id), replayed=write.replayed)


def complete_visit(
    cmd: CompleteVisit,
    *,
    visits: VisitStore,
    customers: CustomerStore,
    ops: OpStore,
    publisher: EventPublisher,
    late: LateUploads | None = None,
    after: Callable[[Visit], None] | None = None,
    now: Callable[[], datetime] = now_utc,
) -> VisitResult:
    """checked_in → completed (open tasks stay open); a second completion returns the first.

    `after` runs on the completed visit (the follow-ups it owes, P-003-7), again on a repeat: it is idempotent.

    Offline completion of a past missed day within the late window is applied (R-1.3.3-c).
    """

    def mutate(visit: Visit, client_ts: str, at: datetime) -> tuple[Visit, bool]:
        return rules.complete_visit(
            visit,
            summary=cmd.summary,
            next_steps=cmd.next_steps,
            client_ts=client_ts,
            now=at,
            offline=cmd.offline,
            op_id=cmd.op_id,
            **late_terms(late, cmd.offline, client_ts, at),
        )

    write = _write_visit(
        cmd, "visit.complete", mutate, events.visit_completed, visits=visits, ops=ops, publisher=publisher, now=now
    )
    if after is not None:
        after(write.visit)
    return VisitResult(VisitView(write.visit, customers.get(write.visit.customer_id)), replayed=write.replayed)


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

    def mutate(visit: Visit, client_ts: str, at: datetime) -> tuple[Visit, bool]:
        return rules.add_unplanned_task(visit, text=cmd.text, client_ts=client_ts, now=at, op_id=cmd.op_id)

    def event(updated: Visit) -> Event:
        entry = next(u for u in updated.unplanned_tasks if u.op_id == cmd.op_id)
        return events.unplanned_task_recorded(updated, entry)

    write = _write_visit(cmd, "unplanned_task", mutate, event, visits=visits, ops=ops, publisher=publisher, now=now)
    return VisitResult(VisitView(write.visit, customers.get(write.visit.customer_id)), replayed=write.replayed)


@dataclass(frozen=True)
class _Written:
    """The visit as the op's kept answer has it, the task it named, whether it was kept before."""

    visit: Visit
    task_id: str
    replayed: bool


def _write_visit(
    cmd: VisitWork,
    kind: str,
    mutate: Callable[[Visit, str, datetime], tuple[Visit, bool]],
    event: Callable[[Visit], Event],
    *,
    visits: VisitStore,
    ops: OpStore,
    publisher: EventPublisher,
    now: Callable[[], datetime],
) -> _Written:
    """The one write sequence of visit work: optimistic write, publish, keep the answer.

    A replayed op_id finds its work done (nothing changes) or refused by the visit's state now, and only
    then is its kept answer read: a first application, nearly every one, does not read the ops first.
    """
    client_ts = _client_ts(cmd.client_ts, now)
    for _ in range(MAX_WRITE_ATTEMPTS):
        try:
            visit = _load(visits, cmd.visit_id)
            rules.ensure_can_write(cmd.caller, visit)
            updated, changed = mutate(visit, client_ts, now())
        except DomainError:
            kept = ops.get(cmd.caller.id, cmd.op_id)
            if kept is None:
                raise
            return _written(kept, replayed=True)
        if not changed:
            kept = ops.get(cmd.caller.id, cmd.op_id)
            if kept is not None:
                return _written(kept, replayed=True)
            break
        if visits.save_if_version(updated, visit.version):
            break
    else:
        raise RuntimeError(f"visit {cmd.visit_id} kept changing under {kind}")
    publisher.publish(event(updated))
    task_id = cmd.task_id if isinstance(cmd, CompleteTask) else ""
    answer, stored = ops.put_once(cmd.caller.id, cmd.op_id, kind, _encode(updated, task_id))
    return _written(answer, replayed=not stored)


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


def _written(raw: bytes, *, replayed: bool) -> _Written:
    data = json.loads(raw)
    return _Written(visit_from_dict(data["visit"]), str(data.get("task_id", "")), replayed)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not serialisable: {type(value).__name__}")
