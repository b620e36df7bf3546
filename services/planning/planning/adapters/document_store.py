"""DocumentStore: collection `documents` (_id = document id). Index: category."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document as Doc
from baifang_common.mongo import ensure_indexes, store_adapter
from planning.domain.documents import Category, Document


def _aware(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)


def _from_doc(doc: Doc) -> Document:
    return Document(
        doc["_id"], Category(doc["category"]), doc["title"], doc["body"], doc["uploaded_by"], _aware(doc["uploaded_at"])
    )


@store_adapter
class DocumentStore:
    def __init__(self, collection: Collection[Doc]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        ensure_indexes(self.collection, [IndexModel([("category", ASCENDING)], name="category")])

    def insert(self, document: Document) -> None:
        """A replayed upload (same id) changes nothing."""
        doc = {
            "_id": document.id,
            "category": document.category.value,
            "title": document.title,
            "body": document.body,
            "uploaded_by": document.uploaded_by,
            "uploaded_at": document.uploaded_at,
        }
        try:
            self.collection.insert_one(doc)
        except DuplicateKeyError:
            return

    def get(self, document_id: str) -> Document | None:
        doc = self.collection.find_one({"_id": document_id})
        return _from_doc(doc) if doc else None

    def in_category(self, category: Category | None) -> list[Document]:
        docs = self.collection.find({} if category is None else {"category": category.value})
        return sorted((_from_doc(d) for d in docs), key=lambda d: (d.uploaded_at, d.id), reverse=True)
