"""DayReader — read-only queries of one manager's or one team's day for the supervisor views.

Reads `checkins`, `tracking_gaps` and the track chunks (through BucketStore, which merges an
hour's chunks: device-time order, one point per timestamp). Writes nothing; the index it adds
is single-field, the kind NX-27017 uses: `checkins.date` (the track chunks are read by bucket id,
so their hot insert path gets no index). Retracted gaps
are skipped here rather than in the query: NX-27017 answers nothing for `date` combined with a
`$ne` (0.8.1), and a day holds a handful of gaps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection

from baifang_common.mongo import Document, ensure_indexes, store_adapter
from checkin.adapters.bucket_store import BucketStore
from checkin.domain.ingest import bucket_id
from checkin.domain.track_view import TrackFix


@store_adapter
class DayReader:
    def __init__(self, checkins: Collection[Document], gaps: Collection[Document], tracks: BucketStore) -> None:
        self.checkins = checkins
        self.gaps = gaps
        self.tracks = tracks

    def ensure_indexes(self) -> None:
        ensure_indexes(self.checkins, [IndexModel([("date", ASCENDING)], name="date")])

    def points(self, manager_id: str, start_ms: int, end_ms: int) -> list[TrackFix]:
        """The manager's fixes in [start_ms, end_ms), merged, in device-time order."""
        return self.day(manager_id, start_ms, end_ms)[0]

    def day(self, manager_id: str, start_ms: int, end_ms: int) -> tuple[list[TrackFix], str]:
        """The manager's fixes in [start_ms, end_ms), merged, in device-time order, and the team
        their chunks were stored under ('' when none)."""
        fixes, teams = self.days([manager_id], start_ms, end_ms)
        return fixes.get(manager_id, []), teams.get(manager_id, "")

    def days(
        self, manager_ids: Sequence[str], start_ms: int, end_ms: int
    ) -> tuple[dict[str, list[TrackFix]], dict[str, str]]:
        """Per manager: the fixes in [start_ms, end_ms) merged in device-time order, and the team
        their chunks were stored under. One query for all of them, by hour-bucket id (the
        single-field `bucket` index): a range on `hour` or a `date` would have the store read every
        manager's chunks of those hours."""
        hours = range(start_ms // 3_600_000, (end_ms - 1) // 3_600_000 + 1)
        query = {"bucket": {"$in": [bucket_id(m, hour) for m in manager_ids for hour in hours]}}
        t, lat, lon, accuracy, speed = self.tracks.columns[:5]
        kept: dict[str, dict[int, TrackFix]] = {}
        teams: dict[str, str] = {}
        for doc in self.tracks.collection.find(query).sort("_id", ASCENDING):  # the first of a timestamp wins
            manager = str(doc.get("manager_id") or "")
            teams.setdefault(manager, str(doc.get("team_id") or ""))
            mine = kept.setdefault(manager, {})
            columns = (c.decode(doc.get(c.name)) for c in (t, lat, lon, accuracy, speed))
            for fix in map(TrackFix._make, zip(*columns, strict=True)):
                if fix.ms not in mine and start_ms <= fix.ms < end_ms:
                    mine[fix.ms] = fix
        return {m: [fixes[ms] for ms in sorted(fixes)] for m, fixes in kept.items()}, teams

    def checkins_of(self, manager_id: str, date: str) -> list[Document]:
        docs = self.checkins.find({"manager_id": manager_id, "date": date})
        return sorted(docs, key=lambda doc: str(doc.get("client_ts") or ""))

    def gaps_of(self, manager_id: str, date: str) -> list[Document]:
        docs = self.gaps.find({"manager_id": manager_id, "date": date})
        return sorted((d for d in docs if not d.get("retracted")), key=lambda doc: int(doc.get("start_ms") or 0))

    def team_day(self, team_id: str, date: str) -> tuple[list[Document], list[Document]]:
        """The team's check-ins and its live (not retracted) gaps of the day."""
        checkins = sorted(
            self.checkins.find({"date": date, "team_id": team_id}), key=lambda doc: str(doc.get("client_ts") or "")
        )
        gaps: list[Any] = sorted(
            (d for d in self.gaps.find({"team_id": team_id, "date": date}) if not d.get("retracted")),
            key=lambda doc: int(doc.get("start_ms") or 0),
        )
        return checkins, gaps
