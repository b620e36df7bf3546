"""ShelvingStore: collection `shelving`, the key-brand shelving facts seen at visits (P-002-T3).

_id (record_id, derived from caller and op_id), visit_id, customer_id, manager_id, team_id, date,
facts [{brand, shelved}], recorded_at, op_id
indexes: (customer_id, recorded_at desc)
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, store_adapter
from collection.domain.model import ShelvingFact, ShelvingRecord

FIELDS = ("visit_id", "customer_id", "manager_id", "team_id", "date", "op_id")


def _record(doc: dict[str, Any]) -> ShelvingRecord:
    return ShelvingRecord(
        record_id=str(doc["_id"]),
        **{f: str(doc.get(f, "")) for f in FIELDS},
        facts=tuple(ShelvingFact(str(f["brand"]), bool(f["shelved"])) for f in doc.get("facts", [])),
        recorded_at=doc["recorded_at"],
    )


@store_adapter
class ShelvingStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        self.collection.create_indexes([IndexModel([("customer_id", ASCENDING), ("recorded_at", DESCENDING)])])

    def get(self, record_id: str) -> ShelvingRecord | None:
        doc = self.collection.find_one({"_id": record_id})
        return _record(doc) if doc else None

    def add(self, r: ShelvingRecord) -> ShelvingRecord:
        try:
            self.collection.insert_one(
                {
                    "_id": r.record_id,
                    **{f: getattr(r, f) for f in FIELDS},
                    "facts": [{"brand": f.brand, "shelved": f.shelved} for f in r.facts],
                    "recorded_at": r.recorded_at,
                }
            )
        except DuplicateKeyError:
            stored = self.get(r.record_id)
            return stored if stored is not None else r
        return r

    def for_customer(self, customer_id: str) -> list[ShelvingRecord]:
        docs = self.collection.find({"customer_id": customer_id}).sort([("recorded_at", DESCENDING)])
        return [_record(doc) for doc in docs]
