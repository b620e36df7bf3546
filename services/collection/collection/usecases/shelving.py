"""Shelving facts of key brands (P-002-T3): shelved yes/no per brand, seen at a checked-in visit."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from baifang_common.events import ShelvingRecorded
from baifang_common.publisher import EventPublisher
from baifang_common.timeutil import iso, now_utc
from collection.adapters.customer_owner_store import CustomerOwnerStore
from collection.adapters.planning_client import PlanningClient
from collection.adapters.shelving_store import ShelvingStore
from collection.adapters.sku_store import SkuStore
from collection.domain import price_inventory
from collection.domain import shelving as rules
from collection.domain.model import ShelvingFact, ShelvingRecord
from collection.usecases.price_inventory import CustomerQuery, readable_owner

NAMESPACE = uuid.UUID("9b7e2f14-3c5d-4a6e-8f1b-0d2c4e6a8b19")


@dataclass(frozen=True)
class RecordShelving:
    caller: Caller
    visit_id: str
    op_id: str
    facts: Sequence[ShelvingFact]


def record_shelving(
    cmd: RecordShelving,
    *,
    planning: PlanningClient,
    skus: SkuStore,
    shelving: ShelvingStore,
    publisher: EventPublisher,
    now: Callable[[], datetime] = now_utc,
) -> tuple[ShelvingRecord, bool]:
    """Bound to the visit like the price & stock collection: its manager, while checked in (§3.5 item 7)."""
    if not cmd.op_id:
        raise InvalidArgument("op_id is required", field="op_id")
    record_id = str(uuid.uuid5(NAMESPACE, f"{cmd.caller.id}:{cmd.op_id}"))
    stored = shelving.get(record_id)
    if stored is not None:
        return stored, True
    visit = planning.visit(cmd.visit_id)
    price_inventory.ensure_can_collect(cmd.caller, visit)
    facts = rules.check_facts(cmd.facts, {s.brand for s in skus.list(include_inactive=True)})
    at = now()
    record = shelving.add(
        ShelvingRecord(
            record_id, visit.visit_id, visit.customer_id, visit.manager_id, visit.team_id, visit.date, facts,
            at.replace(microsecond=at.microsecond // 1000 * 1000), cmd.op_id,
        )
    )  # fmt: skip
    publisher.publish(
        ShelvingRecorded(
            event_id=str(uuid.uuid5(NAMESPACE, f"event:{record.record_id}")),
            record_id=record.record_id,
            visit_id=record.visit_id,
            customer_id=record.customer_id,
            manager_id=record.manager_id,
            team_id=record.team_id,
            date=record.date,
            facts=[{"brand": f.brand, "shelved": f.shelved} for f in record.facts],
            recorded_at=iso(record.recorded_at),
        )
    )
    return record, False


def shelving_state(
    query: CustomerQuery, *, owners: CustomerOwnerStore, shelving: ShelvingStore
) -> dict[str, tuple[bool, str]]:
    """Per brand, whether it was last seen shelved and on which visit date."""
    readable_owner(query.caller, query.customer_id, owners)
    return rules.latest_per_brand(shelving.for_customer(query.customer_id))
