"""Terminal resources (§1.5.8.3) and terminal information (§1.5.8.4 = §1.6.2): versioned, latest for prefill.

Not bound to a visit (§3.5 item 7: terminal information maintenance also works outside one); a
visit id may be given for the record. Replay-safe by op_id: the version id derives from caller
and op_id, and the event id from the version id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from baifang_common.events import Event, TerminalInfoUpdated, TerminalResourcesCollected
from baifang_common.publisher import EventPublisher
from baifang_common.timeutil import iso, now_utc
from collection.adapters.customer_owner_store import CustomerOwnerStore
from collection.adapters.photo_store import PhotoStore
from collection.adapters.terminal_store import TerminalStore
from collection.domain import agreed_quantity, terminal
from collection.domain.errors import AdminOnly, CustomerNotFound
from collection.domain.model import TerminalItem, TerminalVersion
from collection.domain.photos import checked_references
from collection.usecases.price_inventory import readable_owner

NAMESPACE = uuid.UUID("5c2d8e71-93a4-4f0b-b6e2-1d7f3a9c8e45")


@dataclass(frozen=True)
class TerminalQuery:
    caller: Caller
    customer_id: str
    kind: str


@dataclass(frozen=True)
class SaveTerminal:
    caller: Caller
    customer_id: str
    kind: str
    op_id: str
    values: Mapping[str, Any]
    visit_id: str = ""
    photo_ids: Sequence[str] = ()


@dataclass(frozen=True)
class SetTerminalItems:
    caller: Caller
    kind: str
    items: Sequence[TerminalItem]


@dataclass(frozen=True)
class TerminalProfile:
    """The item list and the latest version (None before the first save), plus the history when asked."""

    items: tuple[TerminalItem, ...]
    latest: TerminalVersion | None
    history: list[TerminalVersion] = field(default_factory=list)
    replayed: bool = False


def _kind(kind: str) -> str:
    if kind not in terminal.KINDS:
        raise InvalidArgument("kind must be terminal_resources or terminal_info", field="kind")
    return kind


def items_of(kind: str, store: TerminalStore) -> tuple[TerminalItem, ...]:
    return store.items(_kind(kind)) or terminal.DEFAULT_ITEMS[kind]


def terminal_profile(query: TerminalQuery, *, owners: CustomerOwnerStore, terminals: TerminalStore) -> TerminalProfile:
    """R-1.5.8.3-a / R-1.5.8.4-a: the last saved values for prefill, with every earlier version."""
    readable_owner(query.caller, query.customer_id, owners)
    items = items_of(query.kind, terminals)
    history = terminals.history(query.customer_id, query.kind)
    return TerminalProfile(items, history[0] if history else None, history)


def save_terminal(
    cmd: SaveTerminal,
    *,
    owners: CustomerOwnerStore,
    terminals: TerminalStore,
    photos: PhotoStore,
    publisher: EventPublisher,
    now: Callable[[], datetime] = now_utc,
) -> TerminalProfile:
    """A new version by the customer's manager; terminal information also announces its card fields."""
    if not cmd.op_id:
        raise InvalidArgument("op_id is required", field="op_id")
    items = items_of(cmd.kind, terminals)
    version_id = str(uuid.uuid5(NAMESPACE, f"{cmd.kind}:{cmd.caller.id}:{cmd.op_id}"))
    stored = terminals.get(version_id)
    replayed = stored is not None
    if stored is None:
        owner = owners.get(cmd.customer_id)
        if owner is None:
            raise CustomerNotFound(customer_id=cmd.customer_id)
        agreed_quantity.ensure_can_write(cmd.caller, owner)
        values = terminal.check_values(cmd.values, items)
        photo_ids = checked_references(cmd.customer_id, cmd.photo_ids, photos.many(cmd.photo_ids))
        latest = terminals.history(cmd.customer_id, cmd.kind, limit=1)
        at = now()
        new = TerminalVersion(
            version_id=version_id,
            customer_id=cmd.customer_id,
            kind=cmd.kind,
            version=(latest[0].version if latest else 0) + 1,
            values=values,
            saved_by=cmd.caller.id,
            saved_at=at.replace(microsecond=at.microsecond // 1000 * 1000),
            op_id=cmd.op_id,
            visit_id=cmd.visit_id,
            photo_ids=photo_ids,
        )
        stored = terminals.add(new)
        replayed = stored is not new
    publisher.publish(version_event(stored, items))
    return TerminalProfile(items, stored, replayed=replayed)


def set_terminal_items(cmd: SetTerminalItems, *, terminals: TerminalStore) -> tuple[TerminalItem, ...]:
    """An admin replaces an item list; saved values of dropped items stay in their versions."""
    if not cmd.caller.is_admin:
        raise AdminOnly(role=cmd.caller.role)
    items = terminal.check_items(cmd.items)
    terminals.set_items(_kind(cmd.kind), items)
    return items


def version_event(v: TerminalVersion, items: Sequence[TerminalItem]) -> Event:
    """The event announcing a saved version (its id derives from the version's, so a replay repeats it)."""
    common: dict[str, Any] = {
        "event_id": str(uuid.uuid5(NAMESPACE, f"event:{v.version_id}")),
        "customer_id": v.customer_id,
        "version": v.version,
        "values": v.values,
        "saved_by": v.saved_by,
        "saved_at": iso(v.saved_at),
        "visit_id": v.visit_id,
        "op_id": v.op_id,
    }
    if v.kind == "terminal_info":
        return TerminalInfoUpdated(**common, card_fields=terminal.card_fields(v.values, items))
    return TerminalResourcesCollected(**common)
