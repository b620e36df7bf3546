"""Price & stock collection (docs/domain.md §1.5.8.1): the form, the submission bound to a visit, the history.

Replay-safe by op_id without a separate answer store: the collection id is derived from the caller
and op_id, a replay finds the stored collection before anything else is checked (the visit may be
completed by then), and the event id derives from the collection id, so a republish is deduplicated.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from baifang_common.events import PriceInventorySubmitted
from baifang_common.publisher import EventPublisher
from baifang_common.timeutil import iso, now_utc, parse_date, today
from collection.adapters.customer_owner_store import CustomerOwnerStore
from collection.adapters.order_store import OrderStore
from collection.adapters.photo_store import PhotoStore
from collection.adapters.planning_client import PlanningClient
from collection.adapters.price_inventory_store import LINE_FIELDS, PriceInventoryStore
from collection.adapters.sku_store import SkuStore
from collection.domain import price_inventory as rules
from collection.domain.errors import CustomerNotFound
from collection.domain.model import CustomerOwner, FormLine, PriceInventory, PriceLineInput, StockBase
from collection.domain.orders import with_purchases
from collection.domain.photos import checked_references

NAMESPACE = uuid.UUID("6f1c2a52-7d0e-4d7b-9a53-0c3c1f0e5a11")


@dataclass(frozen=True)
class CustomerQuery:
    caller: Caller
    customer_id: str
    start: str = ""
    end: str = ""


@dataclass(frozen=True)
class SubmitPriceInventory:
    caller: Caller
    visit_id: str
    op_id: str
    client_ts: str
    lines: Sequence[PriceLineInput]
    photo_ids: Sequence[str] = ()


@dataclass(frozen=True)
class Submitted:
    collection: PriceInventory
    replayed: bool = False


def collection_id_for(caller_id: str, op_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"price_inventory:{caller_id}:{op_id}"))


def readable_owner(caller: Caller, customer_id: str, owners: CustomerOwnerStore) -> CustomerOwner:
    """The customer's owner from the ownership cache, once the caller may read it (P-004-15)."""
    owner = owners.get(customer_id)
    if owner is None:
        raise CustomerNotFound(customer_id=customer_id)
    rules.ensure_can_read(caller, owner)
    return owner


def stock_bases(
    customer_id: str, until: str, *, collections: PriceInventoryStore, orders: OrderStore, exclude_visit: str = ""
) -> dict[str, StockBase]:
    """Per SKU: the last collected stock (R-1.5.8.1-e) and the cartons ordered since, up to `until` (R-h)."""
    bases = rules.latest_stock(collections.for_customer(customer_id), exclude_visit=exclude_visit)
    return with_purchases(bases, orders.for_customer(customer_id, until), until)


def price_inventory_form(
    query: CustomerQuery,
    *,
    owners: CustomerOwnerStore,
    skus: SkuStore,
    collections: PriceInventoryStore,
    orders: OrderStore,
    timezone: str,
) -> list[FormLine]:
    """R-1.5.8.1-k: the preset (active) SKUs with reference prices, previous stock (0 the first time)
    and, R-1.5.8.1-h, the purchases imported orders show since that collection (up to today)."""
    readable_owner(query.caller, query.customer_id, owners)
    until = today(timezone).isoformat()
    bases = stock_bases(query.customer_id, until, collections=collections, orders=orders)
    return [FormLine(sku=s, base=bases.get(s.sku, StockBase())) for s in skus.list()]


def price_inventory_history(
    query: CustomerQuery, *, owners: CustomerOwnerStore, collections: PriceInventoryStore
) -> list[PriceInventory]:
    """Every submission (superseded ones flagged), newest first, visit dates within [start, end]."""
    for name, value in (("from", query.start), ("to", query.end)):
        if value:
            parse_date(value, name)
    readable_owner(query.caller, query.customer_id, owners)
    return collections.for_customer(query.customer_id, query.start, query.end)


def submit_price_inventory(
    cmd: SubmitPriceInventory,
    *,
    planning: PlanningClient,
    skus: SkuStore,
    collections: PriceInventoryStore,
    orders: OrderStore,
    photos: PhotoStore,
    publisher: EventPublisher,
    now: Callable[[], datetime] = now_utc,
) -> Submitted:
    """Check every line against its references and previous stock, keep it, announce it."""
    if not cmd.op_id:
        raise InvalidArgument("op_id is required", field="op_id")
    collection_id = collection_id_for(cmd.caller.id, cmd.op_id)
    stored = collections.get(collection_id)
    if stored is not None:
        _announce(stored, publisher)
        return Submitted(stored, replayed=True)
    visit = planning.visit(cmd.visit_id)
    rules.ensure_can_collect(cmd.caller, visit)
    photo_ids = checked_references(visit.customer_id, cmd.photo_ids, photos.many(cmd.photo_ids))
    bases = stock_bases(
        visit.customer_id, visit.date, collections=collections, orders=orders, exclude_visit=visit.visit_id
    )
    catalogue = {s.sku: s for s in skus.list(include_inactive=True)}
    lines = rules.collect(cmd.lines, catalogue, bases)
    collection = PriceInventory(
        collection_id=collection_id,
        visit_id=visit.visit_id,
        customer_id=visit.customer_id,
        manager_id=visit.manager_id,
        team_id=visit.team_id,
        date=visit.date,
        submitted_at=_to_millisecond(now()),
        client_ts=cmd.client_ts,
        op_id=cmd.op_id,
        lines=lines,
        photo_ids=photo_ids,
    )
    kept = collections.add(collection)
    _announce(kept, publisher)
    return Submitted(kept, replayed=kept is not collection)


def _to_millisecond(moment: datetime) -> datetime:
    """The precision the store keeps, so the first answer and a replay's are the same."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _announce(c: PriceInventory, publisher: EventPublisher) -> None:
    publisher.publish(
        PriceInventorySubmitted(
            event_id=str(uuid.uuid5(NAMESPACE, f"event:{c.collection_id}")),
            collection_id=c.collection_id,
            visit_id=c.visit_id,
            customer_id=c.customer_id,
            manager_id=c.manager_id,
            team_id=c.team_id,
            date=c.date,
            submitted_at=iso(c.submitted_at),
            client_ts=c.client_ts,
            op_id=c.op_id,
            lines=[{f: getattr(line, f) for f in LINE_FIELDS} for line in c.lines],
        )
    )
