"""CustomerOwnerStore: collection `customer_owners`, the cache of who owns a customer.

    _id (customer_id), manager_id, team_id, effective_at, occurred_at (aware UTC datetimes)
    indexes: _id only (looked up by customer)

Built from planning's `customer.assigned`; only a newer (effective_at, occurred_at) replaces
the stored owner, so late, replayed or reordered events change nothing. The replacement is a
conditional `replace_one`, not `$set`: NX-27017 0.8.1 stores a datetime `$set` on an existing
document as a naive string (replace and insert keep it a date).

A batch of assignments (the worker consumes them in batches) is three round trips whatever its
size: one read of the customers' current owners, one insert of the customers not cached yet,
one bulk of conditional replaces for the others.
"""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import ReplaceOne
from pymongo.collection import Collection

from baifang_common.mongo import Document, insert_new, store_adapter
from collection.domain.model import CustomerOwner
from collection.domain.rules import replaces


@store_adapter
class CustomerOwnerStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        """Nothing beyond _id."""

    def record(self, owner: CustomerOwner) -> bool:
        """Store the owner unless a newer assignment is already there; True when it was stored."""
        return self.record_many([owner]) == 1

    def record_many(self, owners: Sequence[CustomerOwner]) -> int:
        """Store each customer's newest assignment where the cache holds none or an older one;
        returns how many customers changed."""
        newest: dict[str, CustomerOwner] = {}
        for owner in owners:
            if replaces(newest.get(owner.customer_id), owner):
                newest[owner.customer_id] = owner
        if not newest:
            return 0
        cached = {
            doc["_id"]: _owner(str(doc["_id"]), doc) for doc in self.collection.find({"_id": {"$in": list(newest)}})
        }
        fresh = [o for o in newest.values() if o.customer_id not in cached]
        changed = insert_new(self.collection, [{"_id": o.customer_id, **_fields(o)} for o in fresh])
        # The cached ones that this batch replaces, and fresh ones another worker inserted first
        # (their insert was a duplicate): conditional, so a newer owner stored meanwhile stays.
        contested = [o for o in newest.values() if replaces(cached.get(o.customer_id), o)]
        if changed < len(fresh) or any(o.customer_id in cached for o in contested):
            ops = [ReplaceOne(_newer_than(o), {"_id": o.customer_id, **_fields(o)}) for o in contested]
            changed += self.collection.bulk_write(ops, ordered=False).modified_count
        return changed

    def get(self, customer_id: str) -> CustomerOwner | None:
        doc = self.collection.find_one({"_id": customer_id})
        return _owner(customer_id, doc) if doc is not None else None

    def get_many(self, customer_ids: Sequence[str]) -> dict[str, CustomerOwner]:
        """The cached owners of these customers (one query); unknown customers are absent."""
        docs = self.collection.find({"_id": {"$in": list(set(customer_ids))}})
        return {str(doc["_id"]): _owner(str(doc["_id"]), doc) for doc in docs}


def _owner(customer_id: str, doc: Document) -> CustomerOwner:
    return CustomerOwner(
        customer_id=customer_id,
        manager_id=str(doc["manager_id"]),
        team_id=str(doc.get("team_id", "")),
        effective_at=doc["effective_at"],
        occurred_at=doc["occurred_at"],
    )


def _fields(owner: CustomerOwner) -> Document:
    return {
        "manager_id": owner.manager_id,
        "team_id": owner.team_id,
        "effective_at": owner.effective_at,
        "occurred_at": owner.occurred_at,
    }


def _newer_than(owner: CustomerOwner) -> Document:
    """Matches the customer's document only when `owner` is newer than what it holds.

    `_id` inside `$and`: NX-27017 ignores an `_id` that stands beside a top-level `$or` and can
    update another document; the wrapped form means the same on MongoDB.
    """
    return {
        "$and": [
            {"_id": owner.customer_id},
            {
                "$or": [
                    {"effective_at": {"$lt": owner.effective_at}},
                    {"effective_at": owner.effective_at, "occurred_at": {"$lt": owner.occurred_at}},
                ]
            },
        ]
    }
