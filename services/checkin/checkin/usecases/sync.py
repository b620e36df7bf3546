"""apply_offline_batch: the tablet's offline queue (POST /sync, docs/domain.md §1.3.3) applied in client-time
order, each op answered on its own: applied / duplicate / rejected.

The batch use case receives the bound use cases it dispatches to (`OfflineWork`, one per op type):
check-ins go through record_checkin (offline, client time as business time, plan membership on
the client's date); task and visit work goes to planning by gRPC. Idempotent by op_id forever: the
result of every applied op is kept in the `sync_ops` OpStore, and an op first applied online is
recognised by record_checkin (its stored check-in) or by planning's `replayed`. Rejections are not kept, so a
retry re-evaluates them (a task refused before its check-in applies once the check-in did).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping, Sequence

from baifang_common.context import Caller
from baifang_common.errors import DomainError, RateLimited, RemoteError, Unavailable, code_of
from baifang_common.idempotency import OpStore
from checkin.adapters.collection_client import CollectionClient
from checkin.adapters.planning_client import PlanningClient
from checkin.domain.errors import NotAManager
from checkin.domain.model import CheckinCommand
from checkin.domain.sync import (
    COLLECTION_TYPES,
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
from checkin.metrics import SYNC_OPS
from checkin.usecases.checkins import CheckinAnswer

logger = logging.getLogger(__name__)

UNAVAILABLE = "unavailable"
INTERNAL = "internal"
_TRANSIENT_STATUSES = {"UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED"}

# Applies one op of a type for the caller; its dependencies are bound (see bootstrap).
OfflineWork = Callable[[OfflineOp, Caller], WorkAnswer]


def apply_offline_batch(
    ops: Sequence[OfflineOp], caller: Caller, *, applied: OpStore, work: Mapping[str, OfflineWork], max_ops: int
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
    blocker: OpOutcome | None = None
    for index, op in schedule.order:
        outcome = _not_attempted(op, blocker) if blocker else _apply_one(op, caller, applied, work[op.type])
        if blocker is None and outcome.error_code in (UNAVAILABLE, INTERNAL):
            blocker = outcome
        outcomes[index] = outcome
    for index, first in schedule.twins.items():
        outcomes[index] = outcomes[first].as_duplicate(ops[index].op_id)
    answers = [outcomes[i] for i in range(len(ops))]
    _count(ops, answers, caller)
    return answers


def _apply_one(op: OfflineOp, caller: Caller, applied: OpStore, work: OfflineWork) -> OpOutcome:
    """Apply one op (or recognise it as applied before); only a success is kept."""
    try:
        stored = applied.get(caller.id, op.op_id)
        if stored is not None:
            return OpOutcome(op.op_id, OpStatus.DUPLICATE, decode_applied(stored))
        answer = work(op, caller)
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


def _not_attempted(op: OfflineOp, blocker: OpOutcome) -> OpOutcome:
    return OpOutcome(
        op.op_id,
        OpStatus.REJECTED,
        error_code=UNAVAILABLE,
        error_message="not attempted: an earlier operation of the batch could not be applied, retry",
        error_details={"reason": "not_attempted", "blocked_by": blocker.op_id},
    )


def _count(ops: Sequence[OfflineOp], answers: Sequence[OpOutcome], caller: Caller) -> None:
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


def _transient(exc: DomainError) -> bool:
    """Worth a retry later: a dependency is down, slow or shedding load (never a business answer)."""
    if isinstance(exc, Unavailable | RateLimited):
        return True
    return isinstance(exc, RemoteError) and exc.remote_status.name in _TRANSIENT_STATUSES


# --- the work of each op type ------------------------------------------------------------------


def offline_work(
    record_checkin: Callable[[CheckinCommand], CheckinAnswer], planning: PlanningClient, collection: CollectionClient
) -> dict[str, OfflineWork]:
    """What applies each op type: the bound check-in use case, planning's visit work, collection's ops."""
    return {
        OpType.CHECKIN: functools.partial(checkin_op, record_checkin),
        OpType.TASK_COMPLETE: functools.partial(task_op, planning),
        OpType.VISIT_COMPLETE: functools.partial(visit_op, planning),
        OpType.UNPLANNED_TASK: functools.partial(unplanned_task_op, planning),
        **dict.fromkeys(COLLECTION_TYPES, functools.partial(collection_op, collection)),
    }


def collection_op(collection: CollectionClient, op: OfflineOp, caller: Caller) -> WorkAnswer:
    """Price & stock, agreed quantity, terminal information: collection's, by op_id, on the caller's behalf."""
    return collection.apply_offline_op(op_id=op.op_id, op_type=op.type, payload=op.payload, client_ts=op.client_ts)


def checkin_op(record_checkin: Callable[[CheckinCommand], CheckinAnswer], op: OfflineOp, caller: Caller) -> WorkAnswer:
    """record_checkin with the client time as the business time (R-1.3.3-c/e); an online first is a duplicate."""
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
        visit_id=fields.visit_id,
    )
    answer = record_checkin(cmd)
    return WorkAnswer(answer.result.to_dict(), replayed=answer.replayed)


def task_op(planning: PlanningClient, op: OfflineOp, caller: Caller) -> WorkAnswer:
    """Task completion is planning's (offline, client time, on the caller's behalf)."""
    task = task_fields(op.payload)
    return planning.complete_task(
        op_id=op.op_id, client_ts=op.client_ts, visit_id=task.visit_id, task_id=task.task_id, note=task.note
    )


def visit_op(planning: PlanningClient, op: OfflineOp, caller: Caller) -> WorkAnswer:
    visit = visit_fields(op.payload)
    return planning.complete_visit(
        op_id=op.op_id,
        client_ts=op.client_ts,
        visit_id=visit.visit_id,
        summary=visit.summary,
        next_steps=visit.next_steps,
    )


def unplanned_task_op(planning: PlanningClient, op: OfflineOp, caller: Caller) -> WorkAnswer:
    unplanned = unplanned_fields(op.payload)
    return planning.add_unplanned_task(
        op_id=op.op_id, client_ts=op.client_ts, visit_id=unplanned.visit_id, text=unplanned.text
    )
