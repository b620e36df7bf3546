"""MessageStore: collections `threads`, `messages` (index thread_id) and `thread_reads`
(_id = "<thread_id>:<user_id>", one per participant: membership, index user_id, and the last read time).
Membership lives in its own documents because the store does not match values inside arrays."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, ensure_indexes, store_adapter
from planning.domain.messages import Channel, Message, Thread


def _aware(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)


def _thread(doc: Document) -> Thread:
    return Thread(
        doc["_id"],
        Channel(doc["channel"]),
        doc.get("subject", ""),
        tuple(doc.get("participants", [])),
        doc["created_by"],
        _aware(doc["created_at"]),
        _aware(doc["last_message_at"]),
    )


def _message(doc: Document) -> Message:
    return Message(doc["_id"], doc["thread_id"], doc["author_id"], doc["text"], _aware(doc["sent_at"]))


@store_adapter
class MessageStore:
    def __init__(self, threads: Collection[Document], messages: Collection[Document], reads: Collection[Document]):
        self.threads = threads
        self.messages = messages
        self.reads = reads

    def ensure_indexes(self) -> None:
        ensure_indexes(self.messages, [IndexModel([("thread_id", ASCENDING)], name="thread")])
        ensure_indexes(self.reads, [IndexModel([("user_id", ASCENDING)], name="user")])

    def add_thread(self, thread: Thread) -> None:
        doc = {
            "_id": thread.id,
            "channel": thread.channel.value,
            "subject": thread.subject,
            "participants": list(thread.participants),
            "created_by": thread.created_by,
            "created_at": thread.created_at,
            "last_message_at": thread.last_message_at,
        }
        try:
            self.threads.insert_one(doc)
        except DuplicateKeyError:
            return
        for user_id in thread.participants:
            key = {"_id": f"{thread.id}:{user_id}"}
            self.reads.update_one(key, {"$set": {"user_id": user_id, "thread_id": thread.id}}, upsert=True)

    def thread(self, thread_id: str) -> Thread | None:
        doc = self.threads.find_one({"_id": thread_id})
        return _thread(doc) if doc else None

    def threads_of(self, user_id: str) -> list[Thread]:
        ids = [d["thread_id"] for d in self.reads.find({"user_id": user_id}, {"thread_id": 1})]
        if not ids:
            return []
        docs = self.threads.find({"_id": {"$in": ids}})
        return sorted((_thread(d) for d in docs), key=lambda t: (t.last_message_at, t.id), reverse=True)

    def post(self, message: Message) -> bool:
        """False when this message id exists (a replayed post)."""
        doc = {"_id": message.id, "thread_id": message.thread_id, "author_id": message.author_id}
        try:
            self.messages.insert_one({**doc, "text": message.text, "sent_at": message.sent_at})
        except DuplicateKeyError:
            return False
        later = {"_id": message.thread_id, "last_message_at": {"$lt": message.sent_at}}
        self.threads.update_one(later, {"$set": {"last_message_at": message.sent_at}})
        return True

    def message(self, message_id: str) -> Message | None:
        doc = self.messages.find_one({"_id": message_id})
        return _message(doc) if doc else None

    def messages_of(self, thread_id: str) -> list[Message]:
        docs = self.messages.find({"thread_id": thread_id})
        return sorted((_message(d) for d in docs), key=lambda m: (m.sent_at, m.id))

    def read_at(self, thread_id: str, reader_id: str) -> datetime | None:
        doc = self.reads.find_one({"_id": f"{thread_id}:{reader_id}"})
        return _aware(doc["read_at"]) if doc and doc.get("read_at") else None

    def mark_read(self, thread_id: str, reader_id: str, at: datetime) -> None:
        """The read mark only moves forward (a participant's membership document carries it)."""
        current = self.read_at(thread_id, reader_id)
        if current is None or at > current:
            self.reads.update_one({"_id": f"{thread_id}:{reader_id}"}, {"$set": {"read_at": at}})
