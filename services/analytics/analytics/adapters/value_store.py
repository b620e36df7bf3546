"""ValueStore: each customer's current value class, the figures behind it and the history of classes.

    customer_values  _id customer_id, value_class, figures, computed_on, history [{value_class, since,
                     month, amount_fen, tenure_months}] (one entry per change of class, oldest first)

The history is judged whole with the class (domain/value.py `history`), so replayed events and
repeated scheduled runs write the same document again (not written: nothing changed). A write is
made on the condition that the stored class is still the one the recompute read: of two
concurrent recomputes one wins, the next recompute reconciles.

A recompute reads the purchases from the order views (`OrderViewsStore.order_days`, by `_id` only);
a customer with a month row behind its change count is read from its order lines instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import InsertOne, UpdateOne
from pymongo.collection import Collection

from baifang_common.mongo import Document, bulk_write_chunked, find_ids, store_adapter


@store_adapter
class ValueStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.c = collection
        self.runs: Collection[Document] = collection.database["value_runs"]  # the scheduled run's last day

    def everyone_judged_on(self) -> str:
        """The last company day every customer was judged on by the scheduled run ("" before the first)."""
        doc = self.runs.find_one({"_id": "everyone"})
        return str(doc["on"]) if doc else ""

    def note_everyone_judged(self, on: str) -> None:
        """Record a completed run (`$max`: a replica finishing an older day's run late moves nothing back)."""
        self.runs.update_one({"_id": "everyone"}, {"$max": {"on": on}}, upsert=True)

    def get(self, customer_id: str) -> Document | None:
        return self.c.find_one({"_id": customer_id})

    def get_many(self, customer_ids: Sequence[str]) -> dict[str, Document]:
        """The held documents of many customers, by `_id` (a recompute of a whole batch)."""
        return {doc["_id"]: doc for doc in find_ids(self.c, list(customer_ids))}

    def save_many(
        self, judged: Sequence[tuple[Document | None, str, str, dict[str, Any], list[dict[str, Any]], str]]
    ) -> int:
        """Store each recomputed class over its `held` document, in bulk writes of (held, customer_id,
        value_class, figures, history, on). Returns the writes sent.

        A customer whose stored class, figures, history and day are already those judged is not
        written (a replay). The whole history is `$set`: NX-27017 (0.8.1) stores a `$push`ed
        sub-document as its JSON text. A first document that a concurrent recompute inserted first
        fails on the duplicate _id (ignored: the next recompute reconciles).
        """
        ops: list[InsertOne[Document] | UpdateOne] = []
        for held, customer_id, value_class, figures, history, on in judged:
            fields = {"value_class": value_class, "figures": figures, "history": history, "computed_on": on}
            if held is None:
                ops.append(InsertOne({"_id": customer_id, **fields}))
            elif any(held.get(name) != value for name, value in fields.items()):
                ops.append(UpdateOne({"_id": customer_id, "value_class": held.get("value_class")}, {"$set": fields}))
        bulk_write_chunked(self.c, ops, duplicates_ok=True)
        return len(ops)

    def clear(self) -> None:
        """Forget every stored class (a rebuild judges them all again)."""
        self.c.delete_many({})
        self.runs.delete_many({})

    def snapshot(self) -> list[Document]:
        """Every customer's value document (tests: a full recompute equals the incremental one)."""
        return list(self.c.find().sort("_id"))
