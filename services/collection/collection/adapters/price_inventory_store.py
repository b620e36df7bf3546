"""PriceInventoryStore: collection `price_inventory`, every submitted price & stock collection.

    _id (collection_id, derived from caller and op_id), visit_id, customer_id, manager_id, team_id,
    date (YYYY-MM-DD of the visit), submitted_at (aware UTC), client_ts, op_id, superseded, photo_ids,
    lines: [{sku, name, pack_price_fen, carton_price_fen, ref_pack_price_fen, ref_carton_price_fen,
             prev_stock, purchased, purchased_source, stock, sales, first}]
    indexes: (customer_id, submitted_at desc) for the previous stock and the history; visit_id

Nothing is ever deleted: a later submission in the same visit marks the earlier ones superseded.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, store_adapter
from collection.domain.model import CollectedLine, PriceInventory

LINE_FIELDS = tuple(CollectedLine.__dataclass_fields__)


def _doc(c: PriceInventory) -> dict[str, Any]:
    return {
        "_id": c.collection_id,
        "visit_id": c.visit_id,
        "customer_id": c.customer_id,
        "manager_id": c.manager_id,
        "team_id": c.team_id,
        "date": c.date,
        "submitted_at": c.submitted_at,
        "client_ts": c.client_ts,
        "op_id": c.op_id,
        "superseded": c.superseded,
        "lines": [{f: getattr(line, f) for f in LINE_FIELDS} for line in c.lines],
        "photo_ids": list(c.photo_ids),
    }


def _collection(doc: dict[str, Any]) -> PriceInventory:
    return PriceInventory(
        collection_id=str(doc["_id"]),
        visit_id=str(doc["visit_id"]),
        customer_id=str(doc["customer_id"]),
        manager_id=str(doc["manager_id"]),
        team_id=str(doc.get("team_id", "")),
        date=str(doc.get("date", "")),
        submitted_at=doc["submitted_at"],
        client_ts=str(doc.get("client_ts", "")),
        op_id=str(doc.get("op_id", "")),
        superseded=bool(doc.get("superseded", False)),
        lines=tuple(CollectedLine(**{f: line[f] for f in LINE_FIELDS}) for line in doc.get("lines", [])),
        photo_ids=tuple(str(p) for p in doc.get("photo_ids", [])),
    )


@store_adapter
class PriceInventoryStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        self.collection.create_indexes(
            [
                IndexModel([("customer_id", ASCENDING), ("submitted_at", DESCENDING)]),
                IndexModel([("visit_id", ASCENDING)]),
            ]
        )

    def add(self, collection: PriceInventory) -> PriceInventory:
        """Insert once (a replay finds the stored one) and mark the visit's earlier submissions superseded."""
        try:
            self.collection.insert_one(_doc(collection))
        except DuplicateKeyError:
            stored = self.collection.find_one({"_id": collection.collection_id})
            return _collection(stored) if stored else collection
        self.collection.update_many(
            {"visit_id": collection.visit_id, "_id": {"$ne": collection.collection_id}, "superseded": False},
            {"$set": {"superseded": True}},
        )
        return collection

    def for_customer(self, customer_id: str, start: str = "", end: str = "") -> list[PriceInventory]:
        """Newest first; `start`/`end` bound the visit date (inclusive) when given."""
        query: dict[str, Any] = {"customer_id": customer_id}
        dates: dict[str, str] = {}
        if start:
            dates["$gte"] = start
        if end:
            dates["$lte"] = end
        if dates:
            query["date"] = dates
        docs = self.collection.find(query).sort([("submitted_at", DESCENDING), ("_id", DESCENDING)])
        return [_collection(doc) for doc in docs]

    def get(self, collection_id: str) -> PriceInventory | None:
        doc = self.collection.find_one({"_id": collection_id})
        return _collection(doc) if doc else None
