"""apply_offline_batch: the tablet's offline queue (POST /sync, DOMAIN §1.3.3) applied in client-time
order, each op answered on its own: applied / duplicate / rejected.

Check-ins go through record_checkin (offline, client time as business time, plan membership on the
client's date); task and visit work goes to planning by gRPC. Idempotent by op_id forever: the
result of every applied op is kept in the `sync_ops` OpStore, and an op first applied online is
recognised by record_checkin's OpStore or by planning's `replayed`. Rejections are not kept, so a
retry re-evaluates them (a task refused before its check-in applies once the check-in did).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from baifang_common.context import Caller
from baifang_common.errors import (
    DomainError,
    RateLimited,
    RemoteError,
    Unavailable,
    code_of,
)
from baifang_common.idempotency import OpStore
from baifang_common.metrics import counter
from baifang_common.publisher import EventPublisher
from checkin.adapters.checkin_store import CheckinStore
from checkin.adapters.last_fixes import LastFixes
from checkin.adapters.planning_client import PlanningClient
from checkin.domain.errors import NotAManager
from checkin.domain.model import CheckinCommand, CheckinResult, Thresholds
from checkin.domain.sync import (
    SUPPORTED_TYPES,
    OfflineOp,
    OpOutcome,
    OpStatus,
    OpType,
    WorkAnswer,
    check_size,
    checkin_fields,
    decode_applied,
    encode_applied,
    plan_batch,
    task_fields,
    unplanned_fields,
    visit_fields,
)
from checkin.usecases.checkins import record_checkin

logger = logging.getLogger(__name__)

SYNC_OPS = counter(
    "baifang_sync_ops_total", "Offline-batch operations answered, by type and status", ("type", "status")
)

UNAVAILABLE = "unavailable"
INTERNAL = "internal"
_TRANSIENT_STATUSES = {"UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED"}


def apply_offline_batch(
    ops: Sequence[OfflineOp],
    *,
    caller: Caller,
    applied: OpStore,
    checkins: CheckinStore,
    planning: PlanningClient,
    publisher: EventPublisher,
    checkin_ops: OpStore,
    last_fixes: LastFixes,
    thresholds: Thresholds,
    timezone: str,
    max_ops: int,
) -> list[OpOutcome]:
    """One outcome per op, in the request's order; ops are applied in client-time order.

    A transient failure (a dependency down) stops the batch there: that op and every later one answer
    `rejected` / `unavailable` and nothing of them is kept, so the client's retry applies them later,
    still in order. Business rejections do not stop the batch.
    """
    if not caller.is_manager:
        raise NotAManager(role=caller.role)
    check_size(ops, max_ops)
    schedule = plan_batch(ops)
    outcomes: dict[int, OpOutcome] = dict(schedule.early)
    stopped: OpOutcome | None = None
    for index, op in schedule.order:
        if stopped is not None:
            outcomes[index] = OpOutcome(
                op.op_id,
                OpStatus.REJECTED,
                error_code=UNAVAILABLE,
                error_message="not attempted: an earlier operation of the batch could not be applied, retry",
                error_details={"reason": "not_attempted", "blocked_by": stopped.op_id},
            )
            continue
        outcome = _apply_one(
            op,
            caller=caller,
            applied=applied,
            checkins=checkins,
            planning=planning,
            publisher=publisher,
            checkin_ops=checkin_ops,
            last_fixes=last_fixes,
            thresholds=thresholds,
            timezone=timezone,
        )
        outcomes[index] = outcome
        if outcome.error_code in (UNAVAILABLE, INTERNAL):
            stopped = outcome
    for index, first in schedule.twins.items():
        outcomes[index] = outcomes[first].as_duplicate(ops[index].op_id)
    answers = [outcomes[i] for i in range(len(ops))]
    for op, answer in zip(ops, answers, strict=True):
        SYNC_OPS.labels(op.type if op.type in SUPPORTED_TYPES else "unsupported", answer.status.value).inc()
    logger.info(
        "offline batch of %s: %d ops, %d applied, %d duplicate, %d rejected",
        caller.id,
        len(answers),
        sum(1 for a in answers if a.status == OpStatus.APPLIED),
        sum(1 for a in answers if a.status == OpStatus.DUPLICATE),
        sum(1 for a in answers if a.status == OpStatus.REJECTED),
    )
    return answers


def _apply_one(
    op: OfflineOp,
    *,
    caller: Caller,
    applied: OpStore,
    checkins: CheckinStore,
    planning: PlanningClient,
    publisher: EventPublisher,
    checkin_ops: OpStore,
    last_fixes: LastFixes,
    thresholds: Thresholds,
    timezone: str,
) -> OpOutcome:
    """Apply one op (or recognise it as applied before); only a success is kept."""
    try:
        stored = applied.get(caller.id, op.op_id)
        if stored is not None:
            return OpOutcome(op.op_id, OpStatus.DUPLICATE, decode_applied(stored))
        if op.type == OpType.CHECKIN:
            answer = _checkin(
                op,
                caller=caller,
                checkins=checkins,
                planning=planning,
                publisher=publisher,
                checkin_ops=checkin_ops,
                last_fixes=last_fixes,
                thresholds=thresholds,
                timezone=timezone,
            )
        else:
            answer = _visit_work(op, planning)
        kept = applied.put(caller.id, op.op_id, op.type, encode_applied(op.type, answer.result))
        status = OpStatus.DUPLICATE if answer.replayed else OpStatus.APPLIED
        return OpOutcome(op.op_id, status, decode_applied(kept))
    except DomainError as exc:
        if _transient(exc):
            logger.warning("offline op %s (%s) hit an unavailable dependency: %s", op.op_id, op.type, exc.message)
            return OpOutcome.rejected(op.op_id, Unavailable(exc.message), code=UNAVAILABLE)
        return OpOutcome.rejected(op.op_id, exc, code=code_of(exc))
    except Exception:
        logger.exception("offline op %s (%s) failed unexpectedly", op.op_id, op.type)
        return OpOutcome.rejected(op.op_id, DomainError("internal error"), code=INTERNAL)


def _checkin(
    op: OfflineOp,
    *,
    caller: Caller,
    checkins: CheckinStore,
    planning: PlanningClient,
    publisher: EventPublisher,
    checkin_ops: OpStore,
    last_fixes: LastFixes,
    thresholds: Thresholds,
    timezone: str,
) -> WorkAnswer:
    """record_checkin with the client time as the business time (R-1.3.3-c/e); an online first is a duplicate."""
    online = checkin_ops.get(caller.id, op.op_id)
    if online is not None:
        return WorkAnswer(CheckinResult.from_dict(json.loads(online)).to_dict(), replayed=True)
    fields = checkin_fields(op.payload)
    cmd = CheckinCommand(
        caller=caller,
        op_id=op.op_id,
        qr=fields.qr,
        lat=fields.lat,
        lon=fields.lon,
        accuracy_m=fields.accuracy_m,
        client_ts=op.client_ts,
        mock_location=fields.mock_location,
        fix_ts=fields.fix_ts,
        offline=True,
    )
    result = record_checkin(
        cmd,
        checkins=checkins,
        planning=planning,
        publisher=publisher,
        ops=checkin_ops,
        last_fixes=last_fixes,
        thresholds=thresholds,
        timezone=timezone,
    )
    return WorkAnswer(result.to_dict(), replayed=False)


def _visit_work(op: OfflineOp, planning: PlanningClient) -> WorkAnswer:
    """Task completion, visit completion and unplanned tasks are planning's (offline, client time)."""
    if op.type == OpType.TASK_COMPLETE:
        task = task_fields(op.payload)
        return planning.complete_task(
            op_id=op.op_id, client_ts=op.client_ts, visit_id=task.visit_id, task_id=task.task_id, note=task.note
        )
    if op.type == OpType.VISIT_COMPLETE:
        visit = visit_fields(op.payload)
        return planning.complete_visit(
            op_id=op.op_id,
            client_ts=op.client_ts,
            visit_id=visit.visit_id,
            summary=visit.summary,
            next_steps=visit.next_steps,
        )
    unplanned = unplanned_fields(op.payload)
    return planning.add_unplanned_task(
        op_id=op.op_id, client_ts=op.client_ts, visit_id=unplanned.visit_id, text=unplanned.text
    )


def _transient(exc: DomainError) -> bool:
    """Worth a retry later: a dependency is down, slow or shedding load (never a business answer)."""
    if isinstance(exc, Unavailable | RateLimited):
        return True
    return isinstance(exc, RemoteError) and exc.remote_status.name in _TRANSIENT_STATUSES
