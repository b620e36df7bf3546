"""AttendanceStore — collection `attendance_days` in baifang_checkin: the raw attendance facts.

One document per manager and local date, _id = "<manager_id>:<date>": first and last check-in
time (fixed-format UTC ISO text, because the store's $min/$max do not keep datetimes), the set
of check-in ids and their count. Idempotent: $min/$max/$addToSet, count derived from the set.
Indexes: (date, team_id) for a team's day.
"""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.collection import Collection

from baifang_common.mongo import WRITE_CHUNK, Document, bulk_write_chunked, ensure_indexes, store_adapter
from checkin.domain.model import AttendanceFact


@store_adapter
class AttendanceStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        ensure_indexes(self.collection, [IndexModel([("date", ASCENDING), ("team_id", ASCENDING)], name="date_team")])

    def apply(self, fact: AttendanceFact) -> Document:
        """Fold one check-in into the manager's day; applying it again changes nothing."""
        self.apply_many([fact])
        return self.get(fact.manager_id, fact.date) or {}

    def apply_many(self, facts: Sequence[AttendanceFact]) -> None:
        """Fold a batch of check-ins into their managers' days in three round trips, whatever its size."""
        if not facts:
            return
        # The store drops $addToSet/$min on the insert branch of an upsert: the day is created first, by
        # the same ordered bulk that then folds the check-ins in.
        days = {f"{f.manager_id}:{f.date}": f for f in facts}
        ops = [
            UpdateOne({"_id": day_id}, {"$setOnInsert": {"manager_id": f.manager_id, "team_id": f.team_id,
                       "date": f.date, "checkin_ids": [], "checkin_count": 0}}, upsert=True)
            for day_id, f in days.items()
        ] + [
            UpdateOne({"_id": f"{f.manager_id}:{f.date}"}, {"$min": {"first_checkin_at": f.at},
                      "$max": {"last_checkin_at": f.at}, "$addToSet": {"checkin_ids": f.checkin_id}})
            for f in facts
        ]  # fmt: skip
        for start in range(0, len(ops), WRITE_CHUNK):
            self.collection.bulk_write(ops[start : start + WRITE_CHUNK], ordered=True)
        counts = {d["_id"]: len(d["checkin_ids"]) for d in self.collection.find({"_id": {"$in": sorted(days)}})}
        # Monotonic: a concurrent writer with a larger set is never overwritten by a smaller count.
        bulk_write_chunked(self.collection, [
            UpdateOne({"_id": day_id, "checkin_count": {"$lt": n}}, {"$set": {"checkin_count": n}})
            for day_id, n in counts.items()
        ])  # fmt: skip

    def get(self, manager_id: str, date: str) -> Document | None:
        return self.collection.find_one({"_id": f"{manager_id}:{date}"})
