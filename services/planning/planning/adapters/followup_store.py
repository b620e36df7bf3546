"""FollowUpStore: collection `follow_ups` (_id = follow-up id, derived from the visit and kind). Index: manager_id."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection

from baifang_common.mongo import Document, ensure_indexes, insert_new, store_adapter
from planning.domain.followups import FollowUp, FollowUpKind


def _aware(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)


def _from_doc(doc: Document) -> FollowUp:
    values = {k: v for k, v in doc.items() if k in _FIELDS}
    due = _aware(doc["due_at"])
    assert due is not None
    values.update(kind=FollowUpKind(doc["kind"]), due_at=due, done_at=_aware(doc.get("done_at")))
    return FollowUp(id=doc["_id"], **values)


_FIELDS = {f.name for f in dataclasses.fields(FollowUp)} - {"id"}


@store_adapter
class FollowUpStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        ensure_indexes(self.collection, [IndexModel([("manager_id", ASCENDING)], name="manager")])

    def ensure(self, items: Sequence[FollowUp]) -> None:
        """Insert the follow-ups not there yet (a repeated completion adds nothing)."""
        if not items:
            return
        docs = [{**dataclasses.asdict(i), "_id": i.id, "kind": i.kind.value} for i in items]
        for doc in docs:
            doc.pop("id")
        insert_new(self.collection, docs)

    def get(self, follow_up_id: str) -> FollowUp | None:
        doc = self.collection.find_one({"_id": follow_up_id})
        return _from_doc(doc) if doc else None

    def of_manager(self, manager_id: str) -> list[FollowUp]:
        docs = self.collection.find({"manager_id": manager_id})
        return sorted((_from_doc(d) for d in docs), key=lambda f: (f.due_at, f.id))

    def mark_done(self, item: FollowUp) -> None:
        self.collection.update_one({"_id": item.id, "done_at": None}, {"$set": {"done_at": item.done_at}})
