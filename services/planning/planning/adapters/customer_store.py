"""CustomerStore: collection `customers` (_id = customer id).

Indexes: `code` unique; `manager_id`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

from pymongo import ASCENDING, IndexModel, ReplaceOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

from baifang_common.mongo import Document, ensure_indexes, only_duplicates, store_adapter
from planning.domain.model import Customer

INDEXES = [
    IndexModel([("code", ASCENDING)], unique=True, name="code_unique"),
    IndexModel([("manager_id", ASCENDING)], name="manager"),
]


def to_doc(customer: Customer) -> Document:
    data = dataclasses.asdict(customer)
    doc: Document = {"_id": data.pop("id")}
    lat, lon = data.pop("lat"), data.pop("lon")
    doc.update(data)
    doc["location"] = {"lat": lat, "lon": lon}
    return doc


def from_doc(doc: Document) -> Customer:
    location = doc.get("location") or {}
    values: dict[str, Any] = {k: v for k, v in doc.items() if k in _FIELDS}
    return Customer(id=doc["_id"], lat=float(location.get("lat", 0.0)), lon=float(location.get("lon", 0.0)), **values)


_FIELDS = {f.name for f in dataclasses.fields(Customer)} - {"id", "lat", "lon"}


@store_adapter
class CustomerStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        ensure_indexes(self.collection, INDEXES)

    def get(self, customer_id: str) -> Customer | None:
        doc = self.collection.find_one({"_id": customer_id})
        return from_doc(doc) if doc else None

    def get_many(self, customer_ids: Iterable[str]) -> dict[str, Customer]:
        ids = list(set(customer_ids))
        if not ids:
            return {}
        return {doc["_id"]: from_doc(doc) for doc in self.collection.find({"_id": {"$in": ids}})}

    def ids_by_code(self, codes: Iterable[str]) -> dict[str, str]:
        """Customer code → the id of the customer holding it, for the codes that are taken."""
        wanted = list(set(codes))
        found: dict[str, str] = {}
        for i in range(0, len(wanted), 1000):
            for doc in self.collection.find({"code": {"$in": wanted[i : i + 1000]}}, {"code": 1}):
                found[str(doc["code"])] = str(doc["_id"])
        return found

    def team_of(self, manager_id: str) -> str:
        """The team a manager's customers belong to ("" when the manager has none)."""
        doc = self.collection.find_one({"manager_id": manager_id}, {"team_id": 1})
        return str(doc.get("team_id", "")) if doc else ""

    def reassign(self, customer_id: str, manager_id: str, team_id: str, expected_manager_id: str) -> bool:
        """Change the responsible manager when it is still the one read; False when someone was first."""
        result = self.collection.update_one(
            {"_id": customer_id, "manager_id": expected_manager_id},
            {"$set": {"manager_id": manager_id, "team_id": team_id}},
        )
        return result.modified_count == 1 or expected_manager_id == manager_id

    def upsert_many(self, customers: Sequence[Customer], chunk: int = 1000) -> int:
        """Import path: replace each record whole (the marketing system is the source)."""
        written = 0
        for i in range(0, len(customers), chunk):
            ops = [ReplaceOne({"_id": c.id}, to_doc(c), upsert=True) for c in customers[i : i + chunk]]
            result = self.collection.bulk_write(ops, ordered=False)
            written += result.upserted_count + result.modified_count
        return written

    def insert_or_replace(self, customers: Sequence[Customer]) -> None:
        """Import path for customers believed new: a bulk insert (much faster than upserts on the store),
        and those someone inserted meanwhile replaced whole."""
        if not customers:
            return
        try:
            self.collection.insert_many([to_doc(c) for c in customers], ordered=False)
        except BulkWriteError as exc:
            if not only_duplicates(exc):
                raise
            self.upsert_many([customers[int(e["index"])] for e in exc.details.get("writeErrors", [])])

    def insert_many(self, customers: Sequence[Customer], chunk: int = 2000) -> None:
        """Bulk load into an empty collection (demo); much faster than upserts on the store."""
        for i in range(0, len(customers), chunk):
            self.collection.insert_many([to_doc(c) for c in customers[i : i + chunk]], ordered=False)

    def save_if_version(self, customer: Customer, expected_version: int) -> bool:
        """Write the whole record when it is still at `expected_version` (a record never versioned is 0).

        `_id` inside `$and`: NX-27017 ignores an `_id` beside a top-level `$or`.
        """
        current: Document = {"version": expected_version}
        if expected_version == 0:
            current = {"$or": [{"version": {"$exists": False}}, {"version": 0}]}
        doc = to_doc(customer)
        del doc["_id"]
        result = self.collection.update_one({"$and": [{"_id": customer.id}, current]}, {"$set": doc})
        return result.modified_count == 1

    def update_card(self, customer_id: str, fields: dict[str, str], version: int) -> bool:
        """Set card fields from terminal information version `version`, unless a newer one was applied.

        `_id` inside `$and`: NX-27017 ignores an `_id` beside a top-level `$or`.
        """
        newer = {
            "$and": [
                {"_id": customer_id},
                {"$or": [{"card_version": {"$exists": False}}, {"card_version": {"$lt": version}}]},
            ]
        }
        result = self.collection.update_one(newer, {"$set": {**fields, "card_version": version}})
        return result.modified_count == 1
