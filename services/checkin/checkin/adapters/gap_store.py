"""TrackingGapStore — collection `tracking_gaps`: facts for analytics (attendance, P-002-5).

_id "<manager_id>:<start_ms>:<end_ms>" (deterministic, so a replayed batch adds nothing);
manager_id, team_id, date (company-local), start, end (aware UTC), start_ms, end_ms, minutes,
retracted (true once a late upload put fixes inside it; readers skip it).
Insert-only but for the retraction flag: one `insert_many` per consumed batch, a duplicate id (a
replay) is a no-op, so a replay of the batch that found a gap never brings a retracted gap back.
Indexes: (team_id, date), (manager_id, start_ms), end_ms.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection

from baifang_common.mongo import Document, ensure_indexes, insert_new, store_adapter
from checkin.domain.model import TrackingGap


@store_adapter
class TrackingGapStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        ensure_indexes(
            self.collection,
            [
                IndexModel([("team_id", ASCENDING), ("date", ASCENDING)], name="team_date"),
                IndexModel([("manager_id", ASCENDING), ("start_ms", ASCENDING)], name="manager_start"),
                # The late-upload check of every consumed batch asks for gaps ending after its first
                # fix: single-field (NX-27017 uses those), and live batches find none.
                IndexModel([("end_ms", ASCENDING)], name="end"),
            ],
        )

    def record(self, gaps: Sequence[TrackingGap]) -> None:
        insert_new(
            self.collection,
            [
                {
                    "_id": gap.gap_id,
                    "manager_id": gap.manager_id,
                    "team_id": gap.team_id,
                    "date": gap.date,
                    "start": datetime.fromtimestamp(gap.start_ms / 1000, UTC),
                    "end": datetime.fromtimestamp(gap.end_ms / 1000, UTC),
                    "start_ms": gap.start_ms,
                    "end_ms": gap.end_ms,
                    "minutes": gap.minutes,
                }
                for gap in {gap.gap_id: gap for gap in gaps}.values()
            ],
        )

    def live_overlapping(self, manager_ids: Sequence[str], start_ms: int, end_ms: int) -> list[Document]:
        """Gaps not retracted of these managers that overlap [start_ms, end_ms]."""
        if not manager_ids:
            return []
        query = {"end_ms": {"$gt": start_ms}, "manager_id": {"$in": list(manager_ids)}, "start_ms": {"$lt": end_ms}}
        # `retracted` filtered here: NX-27017 drops matches when `$ne` joins some other conditions.
        return [doc for doc in self.collection.find(query) if not doc.get("retracted")]

    def retract(self, gap_ids: Sequence[str]) -> None:
        if gap_ids:
            self.collection.update_many({"_id": {"$in": list(gap_ids)}}, {"$set": {"retracted": True}})
