"""Order import (§1.8): the marketing system's order lines kept by collection and announced as `orders.recorded`.

Idempotent without an answer store: a line is keyed by (order_id, line_no) and rewritten only when
its content changed. Every sound line of an import is announced, changed or not, in chunks cut in
key order whose event ids derive from their content: a repeated import republishes the same events
(consumers deduplicate them), which also heals a crash between the write and the publish.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass, field, replace

from baifang_common.context import Caller
from baifang_common.events import OrdersRecorded
from baifang_common.publisher import EventPublisher
from collection.adapters.customer_code_store import CustomerCodeStore
from collection.adapters.customer_owner_store import CustomerOwnerStore
from collection.adapters.order_store import OrderStore
from collection.adapters.sku_store import SkuStore
from collection.domain import orders as rules
from collection.domain.model import OrderLine
from collection.usecases.catalogue import ensure_admin

NAMESPACE = uuid.UUID("3c8e1f7a-2b64-4d0e-9f51-7a0d6b2c9e83")
CHUNK = 500


@dataclass(frozen=True)
class ImportOrders:
    """`customer_codes[i]` names line i's outlet by its code when its customer_id is empty."""

    caller: Caller
    lines: Sequence[OrderLine]
    customer_codes: Sequence[str] = ()


@dataclass(frozen=True)
class OrderImportReport:
    """Lines stored new or changed, lines already stored as given, and each refused one by index."""

    applied: int
    unchanged: int
    rejected: dict[int, dict[str, str]] = field(default_factory=dict)


def import_orders(
    cmd: ImportOrders,
    *,
    orders: OrderStore,
    skus: SkuStore,
    owners: CustomerOwnerStore,
    codes: CustomerCodeStore,
    publisher: EventPublisher,
) -> OrderImportReport:
    """An admin's import: sound lines stored (only what changed is written) and announced; the rest reported."""
    ensure_admin(cmd.caller)
    lines, unknown = _with_customer_ids(cmd, codes)
    catalogue = {s.sku for s in skus.list(include_inactive=True)}
    rejected = rules.import_problems(lines, catalogue)
    for index, code in unknown.items():
        rejected.setdefault(index, {})["customer"] = f"unknown customer code {code}"
    sound = [line for index, line in enumerate(lines) if index not in rejected]
    applied = orders.upsert_many(sound)
    known = owners.get_many([line.customer_id for line in sound])
    announce(sound, {c: (o.manager_id, o.team_id) for c, o in known.items()}, publisher=publisher)
    return OrderImportReport(applied=applied, unchanged=len(sound) - applied, rejected=rejected)


def _with_customer_ids(cmd: ImportOrders, codes: CustomerCodeStore) -> tuple[list[OrderLine], dict[int, str]]:
    """The lines with each outlet code turned into its customer id; the indexes of unknown codes."""
    given = {i: code for i, code in enumerate(cmd.customer_codes) if code and not cmd.lines[i].customer_id}
    known = codes.resolve(list(given.values())) if given else {}
    lines = [
        replace(line, customer_id=known.get(given.get(i, ""), line.customer_id)) for i, line in enumerate(cmd.lines)
    ]
    return lines, {i: code for i, code in given.items() if code not in known}


def _digest(lines: Sequence[OrderLine]) -> str:
    return hashlib.sha256(repr([astuple(line) for line in lines]).encode()).hexdigest()


def announce(lines: Sequence[OrderLine], owners: Mapping[str, tuple[str, str]], *, publisher: EventPublisher) -> None:
    """`orders.recorded` per chunk of up to CHUNK lines, with each outlet's (manager_id, team_id) as known
    ("" when unknown)."""
    if not lines:
        return
    import_id = str(uuid.uuid5(NAMESPACE, f"import:{_digest(sorted(lines, key=lambda o: o.key))}"))
    events = []
    for chunk in rules.chunks(lines, CHUNK):
        body = []
        for line in chunk:
            manager_id, team_id = owners.get(line.customer_id, ("", ""))
            body.append(
                {
                    "order_id": line.order_id,
                    "line_no": line.line_no,
                    "customer_id": line.customer_id,
                    "manager_id": manager_id,
                    "team_id": team_id,
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "amount_fen": line.amount_fen,
                    "order_date": line.order_date,
                }
            )
        event_id = str(uuid.uuid5(NAMESPACE, f"orders.recorded:{_digest(chunk)}"))
        events.append(OrdersRecorded(event_id=event_id, import_id=import_id, lines=body))
    publisher.publish_many(events)
