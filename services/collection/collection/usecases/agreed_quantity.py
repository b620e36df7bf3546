"""Agreed quantity entry (docs/domain.md §1.5.8.2): the customer's quantity for the current month, submitted once.

A replay of the same op_id by the same manager answers the stored record (even once the month
has turned); any other second submission for the month is 409 `immutable`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from baifang_common.events import AgreedQuantitySubmitted
from baifang_common.publisher import EventPublisher
from baifang_common.timeutil import iso, local_date, now_utc
from collection.adapters.agreed_quantity_store import AgreedQuantityStore
from collection.adapters.customer_owner_store import CustomerOwnerStore
from collection.adapters.sku_store import SkuStore
from collection.domain import agreed_quantity as rules
from collection.domain.errors import CustomerNotFound, Immutable
from collection.domain.model import AgreedLine, AgreedQuantity
from collection.usecases.price_inventory import readable_owner

NAMESPACE = uuid.UUID("a3e1c9b4-2f53-4d4e-9c55-7f0c8f9d2b61")


@dataclass(frozen=True)
class MonthQuery:
    caller: Caller
    customer_id: str
    month: str = ""


@dataclass(frozen=True)
class SubmitAgreedQuantity:
    caller: Caller
    customer_id: str
    month: str
    op_id: str
    lines: Sequence[AgreedLine]


@dataclass(frozen=True)
class AgreedAnswer:
    record: AgreedQuantity
    replayed: bool = False


def agreed_quantity(
    query: MonthQuery,
    *,
    owners: CustomerOwnerStore,
    agreed: AgreedQuantityStore,
    timezone: str,
    now: Callable[[], datetime] = now_utc,
) -> tuple[str, AgreedQuantity | None]:
    """The month (the current one by default) and its record, if submitted."""
    readable_owner(query.caller, query.customer_id, owners)
    month = query.month or rules.month_of(local_date(now(), timezone))
    if not rules.MONTH.match(month):
        raise InvalidArgument("month is not YYYY-MM", field="month")
    return month, agreed.get(query.customer_id, month)


def submit_agreed_quantity(
    cmd: SubmitAgreedQuantity,
    *,
    owners: CustomerOwnerStore,
    skus: SkuStore,
    agreed: AgreedQuantityStore,
    publisher: EventPublisher,
    timezone: str,
    now: Callable[[], datetime] = now_utc,
) -> AgreedAnswer:
    if not cmd.op_id:
        raise InvalidArgument("op_id is required", field="op_id")
    owner = owners.get(cmd.customer_id)
    if owner is None:
        raise CustomerNotFound(customer_id=cmd.customer_id)
    rules.ensure_can_write(cmd.caller, owner)
    existing = agreed.get(cmd.customer_id, cmd.month)
    if existing is not None and (existing.submitted_by, existing.op_id) == (cmd.caller.id, cmd.op_id):
        _announce(existing, publisher)
        return AgreedAnswer(existing, replayed=True)
    at = now()
    rules.ensure_current_month(cmd.month, local_date(at, timezone))
    rules.ensure_not_submitted(existing)
    lines = rules.check_lines(cmd.lines, {s.sku for s in skus.list(include_inactive=True)})
    record = AgreedQuantity(
        customer_id=cmd.customer_id,
        month=cmd.month,
        manager_id=owner.manager_id,
        team_id=owner.team_id,
        lines=lines,
        submitted_at=at.replace(microsecond=at.microsecond // 1000 * 1000),
        submitted_by=cmd.caller.id,
        op_id=cmd.op_id,
    )
    stored = agreed.add(record)
    if stored.op_id != record.op_id or stored.submitted_by != record.submitted_by:
        raise Immutable(customer_id=cmd.customer_id, month=cmd.month)
    _announce(stored, publisher)
    return AgreedAnswer(stored)


def _announce(record: AgreedQuantity, publisher: EventPublisher) -> None:
    publisher.publish(
        AgreedQuantitySubmitted(
            event_id=str(uuid.uuid5(NAMESPACE, f"{record.customer_id}:{record.month}")),
            customer_id=record.customer_id,
            month=record.month,
            manager_id=record.manager_id,
            team_id=record.team_id,
            lines=[{"sku": line.sku, "qty": line.qty} for line in record.lines],
            total=record.total,
            submitted_at=iso(record.submitted_at),
            op_id=record.op_id,
        )
    )
