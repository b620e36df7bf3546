"""A consumer's inbox: which event ids it applied already (dedupe on event_id).

Kept apart from worker.py so bootstrap modules can build it without importing eventlet.
Collection `processed_events` in the consumer's own database; _id = event_id.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, store_adapter

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
