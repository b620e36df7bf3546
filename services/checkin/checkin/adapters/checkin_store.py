"""CheckinStore — collection `checkins` in baifang_checkin.

_id = checkin_id (deterministic from caller and op_id), so a retried insert is a no-op.
Indexes: (manager_id, received_at) for a manager's check-ins over time.
"""

from __future__ import annotations

import logging
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, ensure_indexes, store_adapter
from checkin.domain.model import CheckinRecord

logger = logging.getLogger(__name__)

_FIELDS = (
    "op_id",
    "manager_id",
    "team_id",
    "visit_id",
    "customer_id",
    "date",
    "lat",
    "lon",
    "accuracy_m",
    "mock_location",
    "fix_ts",
    "distance_m",
    "verdict",
    "verdict_reason",
    "client_ts",
    "received_at",
    "offline",
    "late",
)


@store_adapter
class CheckinStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        ensure_indexes(
            self.collection,
            [IndexModel([("manager_id", ASCENDING), ("received_at", ASCENDING)], name="manager_received")],
        )

    def insert_once(self, record: CheckinRecord) -> tuple[CheckinRecord, bool]:
        """Store the check-in unless it exists; returns the stored record and whether it was new."""
        doc: dict[str, Any] = {"_id": record.checkin_id, **{f: getattr(record, f) for f in _FIELDS}}
        try:
            self.collection.insert_one(doc)
            return record, True
        except DuplicateKeyError:
            existing = self.get(record.checkin_id)
            if existing is None:  # the unique index said it exists; the read must see it
                raise
            logger.info("check-in already stored: %s", record.checkin_id)
            return existing, False

    def get_many(self, checkin_ids: list[str]) -> dict[str, CheckinRecord]:
        """The stored ones of these check-ins, by id, in one lookup."""
        return {str(doc["_id"]): _record(doc) for doc in self.collection.find({"_id": {"$in": checkin_ids}})}

    def get(self, checkin_id: str) -> CheckinRecord | None:
        doc = self.collection.find_one({"_id": checkin_id})
        return _record(doc) if doc else None


def _record(doc: Document) -> CheckinRecord:
    return CheckinRecord(checkin_id=str(doc["_id"]), **{f: doc[f] for f in _FIELDS if f in doc})
