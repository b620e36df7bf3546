"""ValueStore: each customer's current value class, the figures behind it and the history of classes.

    customer_values  _id customer_id, value_class, figures, computed_on, history [{value_class, since,
                     amount_fen, tenure_months}] (one entry per change of class, oldest first)

A recompute that finds the class unchanged only refreshes the figures, so replayed events and
repeated scheduled runs add no history. The class change is written on the condition that the
stored class is still the one the recompute read: of two concurrent recomputes one wins.

A recompute reads the purchases from the order views (order_views_store.py), by `_id` only:
`order_customers` names each customer's months, the `order_rows` of those months carry the
quantity and amount of every order day (`day_totals`) and the change count (`order_keys`) their
facts were read at; a customer with a row behind its count is read from its order lines instead
(one query per customer: NX-27017 scans the whole collection for `$in` on any field but `_id`,
and biz_orders is keyed by order line).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import InsertOne, UpdateOne
from pymongo.collection import Collection

from baifang_common.mongo import Document, bulk_write_chunked, store_adapter

READ_CHUNK = 500  # ids per `$in` round trip


@store_adapter
class ValueStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.c = collection
        self.order_customers: Collection[Document] = collection.database["order_customers"]
        self.order_rows: Collection[Document] = collection.database["order_rows"]
        self.order_keys: Collection[Document] = collection.database["order_keys"]

    def get(self, customer_id: str) -> Document | None:
        return self.c.find_one({"_id": customer_id})

    def get_many(self, customer_ids: Sequence[str]) -> dict[str, Document]:
        """The held documents of many customers, by `_id` (a recompute of a whole batch)."""
        return {doc["_id"]: doc for doc in _by_ids(self.c, list(customer_ids))}

    def order_days(self, customer_ids: Sequence[str]) -> dict[str, list[dict[str, Any]] | None]:
        """Per customer, every order day {order_date, quantity, amount_fen} (the day's lines summed):
        all a value class needs (purchases in the window, the first order date), in three `_id` reads.

        None for a customer one of whose month rows is missing or older than its key's change count
        (`order_keys`): a recompute of that month is in flight elsewhere (another queue or replica),
        so the caller reads that customer's order lines instead.
        """
        keys = [f"{doc['_id']}:{month}" for doc in _by_ids(self.order_customers, list(customer_ids))
                for month in doc.get("months", [])]  # fmt: skip
        seqs = {doc["_id"]: int(doc.get("seq", 0)) for doc in _by_ids(self.order_keys, keys)}
        days: dict[str, list[dict[str, Any]] | None] = {customer_id: [] for customer_id in customer_ids}
        settled: set[str] = set()
        for row in _by_ids(self.order_rows, keys, {"customer_id": 1, "day_totals": 1, "seq": 1}):
            settled.add(row["_id"])
            held = days.get(row["customer_id"])
            if int(row.get("seq", 0)) < seqs.get(row["_id"], 0) or held is None:
                days[row["customer_id"]] = None
                continue
            held.extend(
                {"order_date": day, "quantity": quantity, "amount_fen": amount}
                for day, (quantity, amount) in row.get("day_totals", {}).items()
            )
        for key in set(keys) - settled:
            days[key.rsplit(":", 1)[0]] = None
        return days

    def save_many(self, judged: Sequence[tuple[Document | None, str, str, dict[str, Any], str]]) -> int:
        """Store each recomputed class over its `held` document, in bulk writes of (held, customer_id,
        value_class, figures, on); a new class (or the first) appends to the history. Returns the writes sent.

        A customer whose stored class, figures and day are already those judged is not written (a
        replay). The whole history is `$set`: NX-27017 (0.8.1) stores a `$push`ed sub-document as
        its JSON text. A first document that a concurrent recompute inserted first fails on the
        duplicate _id (ignored: the next recompute reconciles).
        """
        ops: list[InsertOne[Document] | UpdateOne] = []
        for held, customer_id, value_class, figures, on in judged:
            fields: dict[str, Any] = {"value_class": value_class, "figures": figures, "computed_on": on}
            entry = {"value_class": value_class, "since": on, "amount_fen": figures["amount_fen"],
                     "tenure_months": figures["tenure_months"]}  # fmt: skip
            if held is None:
                ops.append(InsertOne({"_id": customer_id, **fields, "history": [entry]}))
                continue
            if all(held.get(name) == value for name, value in fields.items()):
                continue
            if held.get("value_class") != value_class:
                fields["history"] = [*held.get("history", []), entry]
            ops.append(UpdateOne({"_id": customer_id, "value_class": held.get("value_class")}, {"$set": fields}))
        bulk_write_chunked(self.c, ops, duplicates_ok=True)
        return len(ops)

    def snapshot(self) -> list[Document]:
        """Every customer's value document (tests: a full recompute equals the incremental one)."""
        return list(self.c.find().sort("_id"))


def _by_ids(collection: Collection[Document], ids: list[str], fields: dict[str, int] | None = None) -> list[Document]:
    """The documents of the ids, in `$in` reads of READ_CHUNK ids."""
    docs: list[Document] = []
    for start in range(0, len(ids), READ_CHUNK):
        docs.extend(collection.find({"_id": {"$in": ids[start : start + READ_CHUNK]}}, fields))
    return docs
