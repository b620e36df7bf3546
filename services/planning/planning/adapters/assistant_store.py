"""NoteStore (collection `notes`) and NoticeStore (`notices`, `notice_reads`) of the visit assistant.

Indexes: notes.author_id; notices.audience; notice_reads.notice_id and reader_id
(notice_reads _id = "<notice_id>:<reader_id>", so a read receipt is written once).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, ensure_indexes, store_adapter
from planning.domain.assistant import Note, Notice, NoticeRead


def _aware(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC) if value else datetime.now(UTC)


def _note(doc: Document) -> Note:
    return Note(
        id=doc["_id"],
        author_id=doc["author_id"],
        title=doc.get("title", ""),
        body=doc.get("body", ""),
        created_at=_aware(doc.get("created_at")),
        updated_at=_aware(doc.get("updated_at")),
        version=int(doc.get("version", 0)),
    )


def _notice(doc: Document) -> Notice:
    return Notice(
        id=doc["_id"],
        author_id=doc["author_id"],
        audience=doc["audience"],
        title=doc.get("title", ""),
        body=doc.get("body", ""),
        sent_at=_aware(doc.get("sent_at")),
    )


@store_adapter
class NoteStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        ensure_indexes(self.collection, [IndexModel([("author_id", ASCENDING)], name="author")])

    def insert(self, note: Note) -> bool:
        """False when a note with this id exists (a replayed create)."""
        doc = dataclasses.asdict(note)
        doc["_id"] = doc.pop("id")
        try:
            self.collection.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    def get(self, note_id: str) -> Note | None:
        doc = self.collection.find_one({"_id": note_id})
        return _note(doc) if doc else None

    def of_author(self, author_id: str) -> list[Note]:
        docs = self.collection.find({"author_id": author_id})
        return sorted((_note(d) for d in docs), key=lambda n: (n.updated_at, n.id), reverse=True)

    def save_if_version(self, note: Note, expected_version: int) -> bool:
        fields = {
            "title": note.title,
            "body": note.body,
            "updated_at": note.updated_at,
            "version": expected_version + 1,
        }
        result = self.collection.update_one({"_id": note.id, "version": expected_version}, {"$set": fields})
        return result.modified_count == 1

    def delete(self, note_id: str) -> None:
        self.collection.delete_one({"_id": note_id})


@store_adapter
class NoticeStore:
    def __init__(self, notices: Collection[Document], reads: Collection[Document]) -> None:
        self.notices = notices
        self.reads = reads

    def ensure_indexes(self) -> None:
        ensure_indexes(self.notices, [IndexModel([("audience", ASCENDING)], name="audience")])
        ensure_indexes(
            self.reads,
            [
                IndexModel([("notice_id", ASCENDING)], name="notice"),
                IndexModel([("reader_id", ASCENDING)], name="reader"),
            ],
        )

    def insert(self, notice: Notice) -> bool:
        doc = dataclasses.asdict(notice)
        doc["_id"] = doc.pop("id")
        try:
            self.notices.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    def get(self, notice_id: str) -> Notice | None:
        doc = self.notices.find_one({"_id": notice_id})
        return _notice(doc) if doc else None

    def for_audiences(self, audiences: Iterable[str]) -> list[Notice]:
        docs = self.notices.find({"audience": {"$in": list(audiences)}}).sort("sent_at", DESCENDING)
        return [_notice(d) for d in docs]

    def all(self) -> list[Notice]:
        return [_notice(d) for d in self.notices.find().sort("sent_at", DESCENDING)]

    def mark_read(self, read: NoticeRead) -> NoticeRead:
        """The first read receipt is kept; a second read answers it."""
        key = f"{read.notice_id}:{read.reader_id}"
        try:
            self.reads.insert_one({"_id": key, **dataclasses.asdict(read)})
        except DuplicateKeyError:
            doc = self.reads.find_one({"_id": key}) or {}
            return NoticeRead(read.notice_id, read.reader_id, _aware(doc.get("read_at")))
        return read

    def read_receipt(self, notice_id: str, reader_id: str) -> NoticeRead | None:
        doc = self.reads.find_one({"_id": f"{notice_id}:{reader_id}"})
        return NoticeRead(notice_id, reader_id, _aware(doc.get("read_at"))) if doc else None

    def receipts(self, notice_id: str) -> list[NoticeRead]:
        docs = self.reads.find({"notice_id": notice_id})
        return sorted(
            (NoticeRead(d["notice_id"], d["reader_id"], _aware(d.get("read_at"))) for d in docs),
            key=lambda r: r.read_at,
        )
