"""TerminalStore: collections `terminal_versions` (every save) and `terminal_items` (the admin's item lists).

terminal_versions:
    _id (version_id, derived from caller and op_id), customer_id, kind (terminal_resources |
    terminal_info), version (1, 2, … per customer and kind), values {item_code: value}, saved_by,
    saved_at (aware UTC), op_id, visit_id, photo_ids
    indexes: (customer_id, kind, version) unique — two concurrent saves cannot take one number
terminal_items:
    _id (kind), items [{code, label, type, unit, choices, card_field}]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, insert_new, store_adapter
from collection.domain.errors import ConcurrentSave
from collection.domain.model import TerminalItem, TerminalVersion


def _version(doc: dict[str, Any]) -> TerminalVersion:
    return TerminalVersion(
        version_id=str(doc["_id"]),
        customer_id=str(doc["customer_id"]),
        kind=str(doc["kind"]),
        version=int(doc["version"]),
        values=dict(doc.get("values", {})),
        saved_by=str(doc.get("saved_by", "")),
        saved_at=doc["saved_at"],
        op_id=str(doc.get("op_id", "")),
        visit_id=str(doc.get("visit_id", "")),
        photo_ids=tuple(str(p) for p in doc.get("photo_ids", [])),
    )


def _doc(v: TerminalVersion) -> Document:
    return {
        "_id": v.version_id, "customer_id": v.customer_id, "kind": v.kind, "version": v.version,
        "values": v.values, "saved_by": v.saved_by, "saved_at": v.saved_at, "op_id": v.op_id,
        "visit_id": v.visit_id, "photo_ids": list(v.photo_ids),
    }  # fmt: skip


@store_adapter
class TerminalStore:
    def __init__(self, versions: Collection[Document], items: Collection[Document]) -> None:
        self.versions = versions
        self.items_collection = items

    def ensure_indexes(self) -> None:
        self.versions.create_indexes(
            [IndexModel([("customer_id", ASCENDING), ("kind", ASCENDING), ("version", ASCENDING)], unique=True)]
        )

    def get(self, version_id: str) -> TerminalVersion | None:
        doc = self.versions.find_one({"_id": version_id})
        return _version(doc) if doc else None

    def history(self, customer_id: str, kind: str, limit: int = 0) -> list[TerminalVersion]:
        """Newest first."""
        cursor = self.versions.find({"customer_id": customer_id, "kind": kind}).sort([("version", DESCENDING)])
        if limit:
            cursor = cursor.limit(limit)
        return [_version(doc) for doc in cursor]

    def add(self, v: TerminalVersion) -> TerminalVersion:
        """Insert the new version; a replay finds the stored one, a lost race on the number is a conflict."""
        try:
            self.versions.insert_one(_doc(v))
        except DuplicateKeyError as exc:
            stored = self.get(v.version_id)
            if stored is None:
                raise ConcurrentSave(customer_id=v.customer_id, kind=v.kind) from exc
            return stored
        return v

    def add_many(self, versions: Sequence[TerminalVersion]) -> int:
        """Versions whose ids derive from their content (the demo): one insert, the stored ones kept."""
        return insert_new(self.versions, [_doc(v) for v in versions])

    def drop_saved_by_op(self, op_id: str) -> None:
        """Remove the versions saved under one op id (the demo's reset)."""
        self.versions.delete_many({"op_id": op_id})

    def items(self, kind: str) -> tuple[TerminalItem, ...] | None:
        doc = self.items_collection.find_one({"_id": kind})
        if doc is None:
            return None
        return tuple(
            TerminalItem(
                code=str(i["code"]),
                label=str(i["label"]),
                type=str(i.get("type", "text")),
                unit=str(i.get("unit", "")),
                choices=tuple(i.get("choices", ())),
                card_field=str(i.get("card_field", "")),
            )
            for i in doc.get("items", [])
        )

    def set_items(self, kind: str, items: tuple[TerminalItem, ...]) -> None:
        fields = ("code", "label", "type", "unit", "card_field")
        docs = [{**{f: getattr(i, f) for f in fields}, "choices": list(i.choices)} for i in items]
        self.items_collection.replace_one({"_id": kind}, {"_id": kind, "items": docs}, upsert=True)
