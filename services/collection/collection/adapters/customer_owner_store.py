"""CustomerOwnerStore: collection `customer_owners`, the cache of who owns a customer.

    _id (customer_id), manager_id, team_id, effective_at, occurred_at (aware UTC datetimes)
    indexes: _id only (looked up by customer)

Built from planning's `customer.assigned`; only a newer (effective_at, occurred_at) replaces
the stored owner, so late, replayed or reordered events change nothing. The replacement is a
conditional `replace_one`, not `$set`: NX-27017 0.8.1 stores a datetime `$set` on an existing
document as a naive string (replace and insert keep it a date).
"""

from __future__ import annotations

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, store_adapter
from collection.domain.model import CustomerOwner


@store_adapter
class CustomerOwnerStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        """Nothing beyond _id."""

    def record(self, owner: CustomerOwner) -> bool:
        """Store the owner unless a newer assignment is already there; True when it was stored."""
        fields = {
            "manager_id": owner.manager_id,
            "team_id": owner.team_id,
            "effective_at": owner.effective_at,
            "occurred_at": owner.occurred_at,
        }
        try:
            inserted = self.collection.update_one(
                {"_id": owner.customer_id}, {"$setOnInsert": fields}, upsert=True
            ).upserted_id
            if inserted is not None:
                return True
        except DuplicateKeyError:
            pass  # a concurrent first assignment won the insert; compare with it below
        # `_id` inside `$and`: NX-27017 ignores an `_id` that stands beside a top-level `$or` and
        # can update another document; the wrapped form means the same on MongoDB.
        newer = {
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
        return self.collection.replace_one(newer, {"_id": owner.customer_id, **fields}).modified_count == 1

    def get(self, customer_id: str) -> CustomerOwner | None:
        doc = self.collection.find_one({"_id": customer_id})
        if doc is None:
            return None
        return CustomerOwner(
            customer_id=customer_id,
            manager_id=str(doc["manager_id"]),
            team_id=str(doc.get("team_id", "")),
            effective_at=doc["effective_at"],
            occurred_at=doc["occurred_at"],
        )
