"""DayReader — read-only queries of one manager's or one team's day for the supervisor views.

Reads `checkins`, `tracking_gaps` and the track chunks (through BucketStore, which merges an
hour's chunks: device-time order, one point per timestamp). Writes nothing; the indexes it adds
are single-field, the kind NX-27017 uses: `checkins.date`, `track_buckets.date`. Retracted gaps
are skipped here rather than in the query: NX-27017 answers nothing for `date` combined with a
`$ne` (0.8.1), and a day holds a handful of gaps.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection

from baifang_common.mongo import Document, ensure_indexes, store_adapter
from checkin.adapters.bucket_store import BucketStore
from checkin.domain.track_view import TrackFix


def _hour(ms: int) -> datetime:
    return datetime.fromtimestamp(ms // 3_600_000 * 3600, UTC)


@store_adapter
class DayReader:
    def __init__(self, checkins: Collection[Document], gaps: Collection[Document], tracks: BucketStore) -> None:
        self.checkins = checkins
        self.gaps = gaps
        self.tracks = tracks

    def ensure_indexes(self) -> None:
        ensure_indexes(self.checkins, [IndexModel([("date", ASCENDING)], name="date")])
        ensure_indexes(self.tracks.collection, [IndexModel([("date", ASCENDING)], name="date")])

    def points(self, manager_id: str, start_ms: int, end_ms: int) -> list[TrackFix]:
        """The manager's fixes in [start_ms, end_ms), merged, in device-time order."""
        rows = self.tracks.of_owner(manager_id, _hour(start_ms), _hour(end_ms - 1 + 3_600_000))
        return [TrackFix(row[0], row[1], row[2], row[3], row[4]) for row in rows if start_ms <= row[0] < end_ms]

    def track_team(self, manager_id: str, date: str) -> str:
        """The team a manager's chunks of the day were stored under ('' when none)."""
        doc = self.tracks.collection.find_one({"manager_id": manager_id, "date": date}, {"team_id": 1})
        return str(doc.get("team_id") or "") if doc else ""

    def checkins_of(self, manager_id: str, date: str) -> list[Document]:
        docs = self.checkins.find({"manager_id": manager_id, "date": date})
        return sorted(docs, key=lambda doc: str(doc.get("client_ts") or ""))

    def gaps_of(self, manager_id: str, date: str) -> list[Document]:
        docs = self.gaps.find({"manager_id": manager_id, "date": date})
        return sorted((d for d in docs if not d.get("retracted")), key=lambda doc: int(doc.get("start_ms") or 0))

    def team_day(self, team_id: str, date: str) -> tuple[set[str], list[Document], list[Document]]:
        """Managers with any fix that day, the team's check-ins and its live gaps of the day."""
        managers = {
            str(doc["manager_id"])
            for doc in self.tracks.collection.find({"date": date, "team_id": team_id}, {"manager_id": 1})
            if doc.get("manager_id")
        }
        checkins = sorted(
            self.checkins.find({"date": date, "team_id": team_id}), key=lambda doc: str(doc.get("client_ts") or "")
        )
        gaps: list[Any] = sorted(
            (d for d in self.gaps.find({"team_id": team_id, "date": date}) if not d.get("retracted")),
            key=lambda doc: int(doc.get("start_ms") or 0),
        )
        return managers, checkins, gaps
