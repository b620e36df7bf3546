"""ValueStore: each customer's current value class, the figures behind it and the history of classes.

    customer_values  _id customer_id, value_class, figures, computed_on, history [{value_class, since,
                     amount_fen, tenure_months}] (one entry per change of class, oldest first)

A recompute that finds the class unchanged only refreshes the figures, so replayed events and
repeated scheduled runs add no history. The class change is written on the condition that the
stored class is still the one the recompute read: of two concurrent recomputes one wins.
"""

from __future__ import annotations

import contextlib
from typing import Any

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, store_adapter


@store_adapter
class ValueStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.c = collection

    def get(self, customer_id: str) -> Document | None:
        return self.c.find_one({"_id": customer_id})

    def get_many(self, customer_ids: list[str]) -> dict[str, Document]:
        """The held documents of many customers in one `_id` lookup (a recompute of a whole batch)."""
        return {doc["_id"]: doc for doc in self.c.find({"_id": {"$in": customer_ids}})}

    def save(self, held: Document | None, customer_id: str, value_class: str, figures: dict[str, Any], on: str) -> None:
        """Store the recomputed class over the `held` document; a new class (or the first) appends to the history.

        The whole history is `$set`: NX-27017 (0.8.1) stores a `$push`ed sub-document as its JSON text.
        """
        fields: dict[str, Any] = {"value_class": value_class, "figures": figures, "computed_on": on}
        entry = {"value_class": value_class, "since": on, "amount_fen": figures["amount_fen"],
                 "tenure_months": figures["tenure_months"]}  # fmt: skip
        if held is None:
            with contextlib.suppress(DuplicateKeyError):  # a concurrent recompute stored it first: the next reconciles
                self.c.insert_one({"_id": customer_id, **fields, "history": [entry]})
            return
        if held.get("value_class") != value_class:
            fields["history"] = [*held.get("history", []), entry]
        self.c.update_one({"_id": customer_id, "value_class": held.get("value_class")}, {"$set": fields})

    def snapshot(self) -> list[Document]:
        """Every customer's value document (tests: a full recompute equals the incremental one)."""
        return list(self.c.find().sort("_id"))
