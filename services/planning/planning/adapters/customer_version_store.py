"""CustomerVersionStore: collection `customer_versions` (_id = "<customer_id>:<version>"), the history
of every customer record. Index: customer_id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection

from baifang_common.mongo import Document, ensure_indexes, insert_new, store_adapter
from planning.domain.customer_file import CustomerVersion


def _aware(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)


@store_adapter
class CustomerVersionStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        ensure_indexes(self.collection, [IndexModel([("customer_id", ASCENDING)], name="customer")])

    def insert_many(self, versions: Sequence[CustomerVersion]) -> None:
        """Record versions; one already recorded (same customer and version) is kept as it was."""
        docs = [
            {
                "_id": f"{v.customer_id}:{v.version}",
                "customer_id": v.customer_id,
                "version": v.version,
                "changed_by": v.changed_by,
                "changed_at": v.changed_at,
                "source": v.source,
                "changes": [list(c) for c in v.changes],
            }
            for v in versions
        ]
        if not docs:
            return
        insert_new(self.collection, docs)

    def of_customer(self, customer_id: str) -> list[CustomerVersion]:
        docs = self.collection.find({"customer_id": customer_id})
        found = [
            CustomerVersion(
                customer_id=d["customer_id"],
                version=int(d["version"]),
                changed_by=d.get("changed_by", ""),
                changed_at=_aware(d["changed_at"]),
                source=d.get("source", ""),
                changes=tuple((str(c[0]), str(c[1]), str(c[2])) for c in d.get("changes", [])),
            )
            for d in docs
        ]
        return sorted(found, key=lambda v: v.version)
