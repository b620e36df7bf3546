"""PlanFactsReader — the raw `day_progress` documents of a team's day, for the attendance counts,
and the day counts of a period's days (`month_counts`), for the indicators' plan execution.

Read-only; the collections and their indexes belong to DayProgressStore.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from pymongo import ASCENDING
from pymongo.collection import Collection

from baifang_common.mongo import Document, store_adapter


@store_adapter
class PlanFactsReader:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection
        self.month_counts: Collection[Document] = collection.database["month_counts"]

    def team_day(self, team_id: str, date: str) -> list[Document]:
        return list(self.collection.find({"team_id": team_id, "date": date}).sort("manager_id", ASCENDING))

    def day_counts(self, dates: Sequence[str], manager_id: str = "", team_id: str = "") -> list[Document]:
        """The visit counts of the dates, {manager_id, team_id, date, planned, completed}: one
        manager's months by _id, everyone's by month (a team's days are picked by their team)."""
        wanted, found = set(dates), []
        for month in sorted({day[:7] for day in dates}):
            query = {"_id": f"{manager_id}:{month}"} if manager_id else {"month": month}
            for doc in self.month_counts.find(query):
                for date, (planned, completed, team) in orjson.loads(doc["days"]).items():
                    if date in wanted and (not team_id or team == team_id):
                        found.append({"manager_id": doc["manager_id"], "team_id": team, "date": date,
                                      "planned": planned, "completed": completed})  # fmt: skip
        return found
