"""CustomerCodeStore: collection `customer_codes`, the marketing system's outlet codes from `customer.upserted`.

    _id (the customer's code), customer_id
    indexes: _id only (order imports look codes up)

Order files may name the outlet by its code; this cache turns it into the customer id. Writing a
pair again changes nothing, so redelivered events need no inbox.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pymongo import ReplaceOne
from pymongo.collection import Collection

from baifang_common.mongo import Document, store_adapter


@store_adapter
class CustomerCodeStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        """Nothing beyond _id."""

    def record_many(self, codes: Mapping[str, str]) -> None:
        """{code: customer_id} in one bulk write."""
        if codes:
            self.collection.bulk_write(
                [
                    ReplaceOne({"_id": code}, {"_id": code, "customer_id": cid}, upsert=True)
                    for code, cid in codes.items()
                ],
                ordered=False,
            )

    def resolve(self, codes: Sequence[str]) -> dict[str, str]:
        """{code: customer_id} for the codes known (one query)."""
        docs = self.collection.find({"_id": {"$in": list(set(codes))}})
        return {str(doc["_id"]): str(doc["customer_id"]) for doc in docs}
