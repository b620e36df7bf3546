"""SkuStore: collection `skus`, the cigarette catalogue.

_id (the SKU code), name, brand, short_code, price_class (1–5), ref_pack_price_fen,
ref_carton_price_fen, packs_per_carton, active, updated_at
indexes: _id only (the catalogue is small and read whole)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ReplaceOne
from pymongo.collection import Collection

from baifang_common.mongo import Document, store_adapter
from collection.domain.model import Sku


def _sku(doc: dict[str, Any]) -> Sku:
    return Sku(
        sku=str(doc["_id"]),
        name=str(doc.get("name", "")),
        brand=str(doc.get("brand", "")),
        short_code=str(doc.get("short_code", "")),
        price_class=int(doc.get("price_class", 0)),
        ref_pack_price_fen=int(doc.get("ref_pack_price_fen", 0)),
        ref_carton_price_fen=int(doc.get("ref_carton_price_fen", 0)),
        packs_per_carton=int(doc.get("packs_per_carton", 10)),
        active=bool(doc.get("active", True)),
    )


@store_adapter
class SkuStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        """Nothing beyond _id: the catalogue is a few hundred entries read whole."""

    def upsert_many(self, skus: Sequence[Sku]) -> None:
        """One bulk write of whole entries (replay-safe; replace keeps `updated_at` a date on NX-27017)."""
        if not skus:
            return
        now = datetime.now(UTC)
        self.collection.bulk_write(
            [
                ReplaceOne(
                    {"_id": s.sku},
                    {
                        "_id": s.sku,  # NX-27017 0.8.1 does not take an upserted _id from the filter
                        "name": s.name,
                        "brand": s.brand,
                        "short_code": s.short_code,
                        "price_class": s.price_class,
                        "ref_pack_price_fen": s.ref_pack_price_fen,
                        "ref_carton_price_fen": s.ref_carton_price_fen,
                        "packs_per_carton": s.packs_per_carton,
                        "active": s.active,
                        "updated_at": now,
                    },
                    upsert=True,
                )
                for s in skus
            ],
            ordered=False,
        )

    def list(self, include_inactive: bool = False) -> list[Sku]:
        """By price class (dearest first), then brand and code, as the collection form shows them."""
        query: dict[str, Any] = {} if include_inactive else {"active": True}
        skus = [_sku(doc) for doc in self.collection.find(query)]
        return sorted(skus, key=lambda s: (s.price_class, s.brand, s.sku))

    def drop(self) -> None:
        self.collection.drop()
