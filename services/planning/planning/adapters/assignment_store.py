"""AssignmentStore: collection `customer_assignments` (_id = assignment id), the audit trail. Index: customer_id."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, ensure_indexes, insert_new, store_adapter
from planning.domain.assignments import Assignment


def _aware(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)


@store_adapter
class AssignmentStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        ensure_indexes(self.collection, [IndexModel([("customer_id", ASCENDING)], name="customer")])

    def insert(self, assignment: Assignment) -> None:
        doc = dataclasses.asdict(assignment)
        doc["_id"] = doc.pop("id")
        try:
            self.collection.insert_one(doc)
        except DuplicateKeyError:
            return

    def insert_many(self, assignments: Sequence[Assignment]) -> None:
        """Bulk insert (imports); one already there (same id) is kept as it was."""
        docs = [{"_id": a.id, **{k: v for k, v in dataclasses.asdict(a).items() if k != "id"}} for a in assignments]
        if not docs:
            return
        insert_new(self.collection, docs)

    def get(self, assignment_id: str) -> Assignment | None:
        doc = self.collection.find_one({"_id": assignment_id})
        return self._from(doc) if doc else None

    def of_customer(self, customer_id: str) -> list[Assignment]:
        docs = self.collection.find({"customer_id": customer_id})
        return sorted((self._from(d) for d in docs), key=lambda a: (a.effective_from, a.id))

    @staticmethod
    def _from(doc: Document) -> Assignment:
        values = {k: v for k, v in doc.items() if k in {f.name for f in dataclasses.fields(Assignment)}}
        values["effective_from"] = _aware(doc["effective_from"])
        return Assignment(id=doc["_id"], **values)
