"""The cigarette catalogue: maintained by collection, announced with `sku.upserted`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from baifang_common.context import Caller
from baifang_common.events import SkuUpserted
from baifang_common.publisher import EventPublisher
from collection.adapters.sku_store import SkuStore
from collection.domain.errors import InvalidSku
from collection.domain.model import Sku
from collection.domain.rules import catalogue_problems


@dataclass(frozen=True)
class ListSkus:
    caller: Caller
    include_inactive: bool = False


def list_skus(query: ListSkus, *, skus: SkuStore) -> list[Sku]:
    """Any authenticated caller may read the catalogue (the gRPC edge required one)."""
    return skus.list(include_inactive=query.include_inactive)


def upsert_skus(entries: Sequence[Sku], *, skus: SkuStore, publisher: EventPublisher) -> int:
    """All-or-nothing validation, one bulk write, then one `sku.upserted` per entry (replay-safe)."""
    problems = catalogue_problems(entries)
    if problems:
        raise InvalidSku(skus=problems)
    skus.upsert_many(entries)
    publisher.publish_many(
        SkuUpserted(
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
    return len(entries)
