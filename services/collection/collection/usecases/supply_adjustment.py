"""Supply adjustment (docs/domain.md §1.5.9.1): a manager asks, the supervisor decides, approved increases count.

Replay-safe: the request id derives from caller and op_id; repeating the decision already taken by
the same person answers it again; every transition is announced under an id derived from it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from baifang_common.events import (
    SupplyAdjustmentApproved,
    SupplyAdjustmentRejected,
    SupplyAdjustmentRequested,
    SupplyAdjustmentWithdrawn,
)
from baifang_common.publisher import EventPublisher
from baifang_common.timeutil import iso, now_utc
from collection.adapters.agreed_quantity_store import AgreedQuantityStore
from collection.adapters.customer_owner_store import CustomerOwnerStore
from collection.adapters.sku_store import SkuStore
from collection.adapters.supply_adjustment_store import SupplyAdjustmentStore
from collection.domain import agreed_quantity as agreed_rules
from collection.domain import supply_adjustment as rules
from collection.domain.errors import AdjustmentNotFound, AgreedQuantityMissing, AlreadyDecided, CustomerNotFound
from collection.domain.model import AgreedLine, SupplyAdjustment
from collection.usecases.agreed_quantity import MonthQuery
from collection.usecases.price_inventory import readable_owner

NAMESPACE = uuid.UUID("d8b0f3c6-4e2a-4b1f-8a7d-6c5e9f0a1b23")
EVENTS = {
    "pending": SupplyAdjustmentRequested,
    "approved": SupplyAdjustmentApproved,
    "rejected": SupplyAdjustmentRejected,
    "withdrawn": SupplyAdjustmentWithdrawn,
}


@dataclass(frozen=True)
class RequestAdjustment:
    caller: Caller
    customer_id: str
    month: str
    op_id: str
    lines: Sequence[AgreedLine]
    reason: str


@dataclass(frozen=True)
class ActOnAdjustment:
    caller: Caller
    adjustment_id: str
    action: str
    note: str = ""


@dataclass(frozen=True)
class ListAdjustments:
    """A supervisor's team inbox, a manager's own requests; `status` filters (e.g. pending)."""

    caller: Caller
    status: str = ""


def _millisecond(at: datetime) -> datetime:
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def request_adjustment(
    cmd: RequestAdjustment,
    *,
    owners: CustomerOwnerStore,
    skus: SkuStore,
    agreed: AgreedQuantityStore,
    adjustments: SupplyAdjustmentStore,
    publisher: EventPublisher,
    now: Callable[[], datetime] = now_utc,
) -> SupplyAdjustment:
    """The customer's manager asks for increases on a month that has an agreed quantity (R-1.5.9.1-a, e)."""
    if not cmd.op_id:
        raise InvalidArgument("op_id is required", field="op_id")
    adjustment_id = str(uuid.uuid5(NAMESPACE, f"{cmd.caller.id}:{cmd.op_id}"))
    stored = adjustments.get(adjustment_id)
    if stored is None:
        owner = owners.get(cmd.customer_id)
        if owner is None:
            raise CustomerNotFound(customer_id=cmd.customer_id)
        agreed_rules.ensure_can_write(cmd.caller, owner)
        if not agreed_rules.MONTH.match(cmd.month):
            raise InvalidArgument("month is not YYYY-MM", field="month")
        if agreed.get(cmd.customer_id, cmd.month) is None:
            raise AgreedQuantityMissing(customer_id=cmd.customer_id, month=cmd.month)
        lines = rules.check_request(cmd.lines, cmd.reason, {s.sku for s in skus.list(include_inactive=True)})
        new = SupplyAdjustment(
            adjustment_id, cmd.customer_id, cmd.month, owner.manager_id, owner.team_id, lines,
            cmd.reason.strip(), _millisecond(now()), cmd.op_id,
        )  # fmt: skip
        stored = adjustments.add(new)
    _announce(stored, publisher)
    return stored


def act_on_adjustment(
    cmd: ActOnAdjustment,
    *,
    adjustments: SupplyAdjustmentStore,
    publisher: EventPublisher,
    now: Callable[[], datetime] = now_utc,
) -> SupplyAdjustment:
    """Approve or reject (the requester's supervisor) or withdraw (the requester); final once decided."""
    if cmd.action not in rules.ACTIONS:
        raise InvalidArgument("action must be approve, reject or withdraw", field="action")
    current = adjustments.get(cmd.adjustment_id)
    if current is None:
        raise AdjustmentNotFound(adjustment_id=cmd.adjustment_id)
    if (current.status, current.decided_by) == (rules.ACTIONS[cmd.action], cmd.caller.id):
        _announce(current, publisher)
        return current
    decided = rules.transition(current, cmd.action, cmd.caller, _millisecond(now()), cmd.note.strip())
    if not adjustments.decide(decided):
        latest = adjustments.get(cmd.adjustment_id)
        raise AlreadyDecided(adjustment_id=cmd.adjustment_id, status=latest.status if latest else "")
    _announce(decided, publisher)
    return decided


def list_adjustments(query: ListAdjustments, *, adjustments: SupplyAdjustmentStore) -> list[SupplyAdjustment]:
    caller = query.caller
    if caller.is_supervisor:
        return adjustments.listing(team_id=caller.team_id, status=query.status)
    return adjustments.listing(manager_id=caller.id, status=query.status)


def effective_quantities(
    query: MonthQuery, *, owners: CustomerOwnerStore, agreed: AgreedQuantityStore, adjustments: SupplyAdjustmentStore
) -> dict[str, int]:
    """R-1.5.9.1-c: agreed + approved increases per SKU for the month."""
    readable_owner(query.caller, query.customer_id, owners)
    if not agreed_rules.MONTH.match(query.month):
        raise InvalidArgument("month is not YYYY-MM", field="month")
    return rules.effective_quantities(
        agreed.get(query.customer_id, query.month), adjustments.for_customer(query.customer_id, query.month)
    )


def _announce(a: SupplyAdjustment, publisher: EventPublisher) -> None:
    event = EVENTS[a.status]
    publisher.publish(
        event(
            event_id=str(uuid.uuid5(NAMESPACE, f"event:{a.adjustment_id}:{a.status}")),
            adjustment_id=a.adjustment_id,
            customer_id=a.customer_id,
            month=a.month,
            manager_id=a.manager_id,
            team_id=a.team_id,
            lines=[{"sku": line.sku, "qty": line.qty} for line in a.lines],
            reason=a.reason,
            status=a.status,
            decided_by=a.decided_by,
            at=iso(a.decided_at or a.requested_at),
        )
    )
