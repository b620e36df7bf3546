"""AttendanceStore — collection `attendance_days` in baifang_checkin: the raw attendance facts.

One document per manager and local date, _id = "<manager_id>:<date>": first and last check-in
time (fixed-format UTC ISO text, because the store's $min/$max do not keep datetimes), the set
of check-in ids and their count. Idempotent: $min/$max/$addToSet, count derived from the set.
Indexes: (date, team_id) for a team's day.
"""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.collection import Collection

from baifang_common.mongo import Document, ensure_indexes, store_adapter
from checkin.domain.model import AttendanceFact


@store_adapter
class AttendanceStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        ensure_indexes(self.collection, [IndexModel([("date", ASCENDING), ("team_id", ASCENDING)], name="date_team")])

    def apply(self, fact: AttendanceFact) -> Document:
        """Fold one check-in into the manager's day; applying it again changes nothing."""
        day_id = f"{fact.manager_id}:{fact.date}"
        # Two steps: the store drops $addToSet/$min on the insert branch of an upsert.
        self.collection.update_one(
            {"_id": day_id},
            {
                "$setOnInsert": {
                    "manager_id": fact.manager_id,
                    "team_id": fact.team_id,
                    "date": fact.date,
                    "checkin_ids": [],
                    "checkin_count": 0,
                }
            },
            upsert=True,
        )
        doc = self.collection.find_one_and_update(
            {"_id": day_id},
            {
                "$min": {"first_checkin_at": fact.at},
                "$max": {"last_checkin_at": fact.at},
                "$addToSet": {"checkin_ids": fact.checkin_id},
            },
            return_document=ReturnDocument.AFTER,
        )
        count = len(doc["checkin_ids"]) if doc else 0
        # Monotonic: a concurrent writer with a larger set is never overwritten by a smaller count.
        self.collection.update_one({"_id": day_id, "checkin_count": {"$lt": count}}, {"$set": {"checkin_count": count}})
        return self.get(fact.manager_id, fact.date) or {}

    def get(self, manager_id: str, date: str) -> Document | None:
        return self.collection.find_one({"_id": f"{manager_id}:{date}"})
