"""Keeping the customer ownership cache from planning's assignments (worker side, no gRPC imports)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from baifang_common.events import CustomerAssigned, CustomerUpserted
from baifang_common.timeutil import parse_date, parse_ts
from collection.adapters.customer_code_store import CustomerCodeStore
from collection.adapters.customer_owner_store import CustomerOwnerStore
from collection.domain.model import CustomerOwner

logger = logging.getLogger(__name__)


def _moment(value: str, timezone: str, field: str) -> datetime:
    """ISO time (naive = UTC) or a date (start of that day in company time), to the millisecond the store keeps."""
    text = value.strip()
    if len(text) == 10:
        moment = datetime.combine(parse_date(text, field), time(), ZoneInfo(timezone))
    else:
        moment = parse_ts(text, field, naive_zone=UTC)
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def owner_of(event: CustomerAssigned, timezone: str) -> CustomerOwner:
    """Effective from `effective_from`, else from when the event occurred."""
    if not event.customer_id or not event.manager_id:
        raise ValueError("customer.assigned without customer_id or manager_id")
    occurred = _moment(event.occurred_at, timezone, "occurred_at")
    return CustomerOwner(
        customer_id=event.customer_id,
        manager_id=event.manager_id,
        team_id=event.team_id,
        effective_at=_moment(event.effective_from, timezone, "effective_from") if event.effective_from else occurred,
        occurred_at=occurred,
    )


def record_customer_assignment(event: CustomerAssigned, *, owners: CustomerOwnerStore, timezone: str) -> bool:
    """True when the cache changed (an older or repeated assignment changes nothing)."""
    return record_customer_assignments([event], owners=owners, timezone=timezone) == 1


def record_customer_assignments(
    events: Sequence[CustomerAssigned], *, owners: CustomerOwnerStore, timezone: str
) -> int:
    """A batch of assignments, each customer's newest kept where newer than the cache; how many changed."""
    changed = owners.record_many([owner_of(event, timezone) for event in events])
    if changed < len(events):
        logger.info("older or repeated assignments ignored: %d of %d", len(events) - changed, len(events))
    return changed


def record_customer_codes(events: Sequence[CustomerUpserted], *, codes: CustomerCodeStore) -> int:
    """The outlets' codes (order files may name an outlet by its code); how many pairs were written."""
    pairs = {event.code: event.customer_id for event in events if event.code and event.customer_id}
    codes.record_many(pairs)
    return len(pairs)
