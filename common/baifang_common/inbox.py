"""A consumer's inbox: which event ids it applied already (dedupe on event_id).

Kept apart from worker.py so bootstrap modules can build it without importing eventlet.
Collection `processed_events` in the consumer's own database; _id = event_id.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, insert_new, store_adapter

logger = logging.getLogger(__name__)


@store_adapter
class ProcessedEvents:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def seen(self, event_id: str) -> bool:
        return self.collection.find_one({"_id": event_id}, {"_id": 1}) is not None

    def record(self, event_id: str, event_type: str) -> None:
        try:
            self.collection.insert_one({"_id": event_id, "event_type": event_type, "at": datetime.now(UTC)})
        except DuplicateKeyError:
            logger.info("event applied concurrently: %s", event_id)

    def seen_many(self, event_ids: Sequence[str]) -> set[str]:
        """The ids among `event_ids` applied before: one query for a whole batch."""
        found = self.collection.find({"_id": {"$in": list(set(event_ids))}}, {"_id": 1})
        return {str(doc["_id"]) for doc in found}

    def record_many(self, events: Iterable[tuple[str, str]]) -> None:
        """Record (event_id, event_type) pairs in one insert; ids recorded concurrently are skipped."""
        now = datetime.now(UTC)
        docs = [{"_id": event_id, "event_type": event_type, "at": now} for event_id, event_type in dict(events).items()]
        if not docs:
            return
        new = insert_new(self.collection, docs)
        if new < len(docs):
            logger.info("events applied concurrently: %d", len(docs) - new)
