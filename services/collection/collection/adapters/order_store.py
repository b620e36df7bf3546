"""OrderStore: collection `orders`, the order lines imported from the marketing system (§1.8).

    _id ("<order_id>:<line_no>"), order_id, line_no, customer_id, sku, quantity (cartons),
    amount_fen, order_date (YYYY-MM-DD), imported_at (aware UTC)
    indexes: (customer_id, order_date) for the purchases of an outlet

A line is replaced only when its content differs from the stored one, so a repeated import
writes nothing and reports every line unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel, ReplaceOne
from pymongo.collection import Collection

from baifang_common.mongo import Document, insert_new, store_adapter
from collection.domain.model import OrderLine

FIELDS = ("order_id", "line_no", "customer_id", "sku", "quantity", "amount_fen", "order_date")
# Keys per `$in` read: one query per slice keeps each request well below the store's limits.
READ_SLICE = 1000


def _line(doc: dict[str, Any]) -> OrderLine:
    return OrderLine(
        order_id=str(doc["order_id"]),
        line_no=int(doc["line_no"]),
        customer_id=str(doc["customer_id"]),
        sku=str(doc["sku"]),
        quantity=int(doc["quantity"]),
        amount_fen=int(doc["amount_fen"]),
        order_date=str(doc["order_date"]),
    )


def _doc(line: OrderLine, now: datetime) -> Document:
    return {"_id": line.key, **{f: getattr(line, f) for f in FIELDS}, "imported_at": now}


@store_adapter
class OrderStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        self.collection.create_indexes([IndexModel([("customer_id", ASCENDING), ("order_date", ASCENDING)])])

    def upsert_many(self, lines: Sequence[OrderLine]) -> int:
        """Store the new and changed lines in one bulk write; returns how many that was."""
        stored: dict[str, OrderLine] = {}
        keys = [line.key for line in lines]
        for start in range(0, len(keys), READ_SLICE):
            for doc in self.collection.find({"_id": {"$in": keys[start : start + READ_SLICE]}}):
                stored[str(doc["_id"])] = _line(doc)
        now = datetime.now(UTC)
        fresh = [_doc(line, now) for line in lines if line.key not in stored]
        changed = [line for line in lines if line.key in stored and stored[line.key] != line]
        # New lines in one insert (much cheaper than upserts); a line another import inserted
        # meanwhile is taken as stored.
        count = insert_new(self.collection, fresh)
        if changed:
            self.collection.bulk_write(
                [ReplaceOne({"_id": line.key}, _doc(line, now)) for line in changed], ordered=False
            )
        return count + len(changed)

    def for_customer(self, customer_id: str, until: str = "") -> list[OrderLine]:
        """The outlet's order lines dated up to `until` (inclusive; everything when empty), oldest first."""
        query: dict[str, Any] = {"customer_id": customer_id}
        if until:
            query["order_date"] = {"$lte": until}
        return sorted(
            (_line(doc) for doc in self.collection.find(query)), key=lambda o: (o.order_date, o.order_id, o.line_no)
        )

    def drop(self) -> None:
        self.collection.drop()
