"""AgreedQuantityStore: collection `agreed_quantities`, one document per customer and month, never updated.

    _id ("<customer_id>:<YYYY-MM>"), customer_id, month, manager_id, team_id,
    lines: [{sku, qty}], submitted_at (aware UTC), submitted_by, op_id
    indexes: _id only (read by customer and month)

Immutability (R-1.5.8.2-a) is the insert itself: a second insert for the month fails on `_id`.
"""

from __future__ import annotations

from typing import Any

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, store_adapter
from collection.domain.model import AgreedLine, AgreedQuantity


def _id(customer_id: str, month: str) -> str:
    return f"{customer_id}:{month}"


def _record(doc: dict[str, Any]) -> AgreedQuantity:
    return AgreedQuantity(
        customer_id=str(doc["customer_id"]),
        month=str(doc["month"]),
        manager_id=str(doc["manager_id"]),
        team_id=str(doc.get("team_id", "")),
        lines=tuple(AgreedLine(str(line["sku"]), int(line["qty"])) for line in doc.get("lines", [])),
        submitted_at=doc["submitted_at"],
        submitted_by=str(doc["submitted_by"]),
        op_id=str(doc.get("op_id", "")),
    )


@store_adapter
class AgreedQuantityStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        """Nothing beyond _id."""

    def get(self, customer_id: str, month: str) -> AgreedQuantity | None:
        doc = self.collection.find_one({"_id": _id(customer_id, month)})
        return _record(doc) if doc else None

    def add(self, record: AgreedQuantity) -> AgreedQuantity:
        """Insert once; when the month is already there, the stored record (the caller compares op_id)."""
        try:
            self.collection.insert_one(
                {
                    "_id": _id(record.customer_id, record.month),
                    "customer_id": record.customer_id,
                    "month": record.month,
                    "manager_id": record.manager_id,
                    "team_id": record.team_id,
                    "lines": [{"sku": line.sku, "qty": line.qty} for line in record.lines],
                    "submitted_at": record.submitted_at,
                    "submitted_by": record.submitted_by,
                    "op_id": record.op_id,
                }
            )
        except DuplicateKeyError:
            stored = self.get(record.customer_id, record.month)
            return stored if stored is not None else record
        return record
