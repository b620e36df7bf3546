"""The cigarette catalogue: maintained by collection, announced with `sku.upserted`.

Writing the same entries again changes nothing and announces them under the same event ids
(derived from the entry's content), so an import can be repeated safely.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import astuple, dataclass, field

from baifang_common.context import Caller
from baifang_common.events import SkuUpserted
from baifang_common.publisher import EventPublisher
from collection.adapters.sku_store import SkuStore
from collection.domain.errors import AdminOnly, InvalidSku
from collection.domain.model import Sku
from collection.domain.rules import catalogue_problems, entry_problems, matches

NAMESPACE = uuid.UUID("0b6f4a0e-5f1e-4c47-8d0c-2f7a9c3e1d24")


@dataclass(frozen=True)
class ListSkus:
    caller: Caller
    include_inactive: bool = False


@dataclass(frozen=True)
class SearchSkus:
    caller: Caller
    q: str = ""
    include_inactive: bool = False


@dataclass(frozen=True)
class WriteSkus:
    caller: Caller
    entries: Sequence[Sku]


@dataclass(frozen=True)
class ImportReport:
    """How many entries were stored, and each refused one by index: {index: {field: reason}}."""

    upserted: int
    rejected: dict[int, dict[str, str]] = field(default_factory=dict)


def list_skus(query: ListSkus, *, skus: SkuStore) -> list[Sku]:
    """Any authenticated caller may read the catalogue (the gRPC edge required one)."""
    return skus.list(include_inactive=query.include_inactive)


def search_skus(query: SearchSkus, *, skus: SkuStore) -> list[Sku]:
    """The entries whose name, brand, short code or code hold every word of `q` (the catalogue is read whole)."""
    return [s for s in skus.list(include_inactive=query.include_inactive) if matches(s, query.q)]


def upsert_skus(entries: Sequence[Sku], *, skus: SkuStore, publisher: EventPublisher) -> int:
    """All-or-nothing validation, one bulk write, then one `sku.upserted` per entry (replay-safe)."""
    problems = catalogue_problems(entries)
    if problems:
        raise InvalidSku(skus=problems)
    _store(entries, skus, publisher)
    return len(entries)


def admin_upsert_skus(cmd: WriteSkus, *, skus: SkuStore, publisher: EventPublisher) -> int:
    """An admin's edit of catalogue entries: every entry sound, or nothing stored."""
    ensure_admin(cmd.caller)
    return upsert_skus(cmd.entries, skus=skus, publisher=publisher)


def import_skus(cmd: WriteSkus, *, skus: SkuStore, publisher: EventPublisher) -> ImportReport:
    """An admin's import: the sound entries are stored and announced, the others reported by index."""
    ensure_admin(cmd.caller)
    rejected = entry_problems(cmd.entries)
    sound = [entry for index, entry in enumerate(cmd.entries) if index not in rejected]
    _store(sound, skus, publisher)
    return ImportReport(upserted=len(sound), rejected=rejected)


def ensure_admin(caller: Caller) -> None:
    """Only an admin writes the catalogue and imports data from the marketing system."""
    if not caller.is_admin:
        raise AdminOnly(role=caller.role)


def _store(entries: Sequence[Sku], skus: SkuStore, publisher: EventPublisher) -> None:
    skus.upsert_many(entries)
    publisher.publish_many(
        SkuUpserted(
            event_id=str(uuid.uuid5(NAMESPACE, repr(astuple(s)))),
            sku=s.sku,
            name=s.name,
            brand=s.brand,
            short_code=s.short_code,
            price_class=s.price_class,
            ref_pack_price_fen=s.ref_pack_price_fen,
            ref_carton_price_fen=s.ref_carton_price_fen,
            packs_per_carton=s.packs_per_carton,
            active=s.active,
        )
        for s in entries
    )
