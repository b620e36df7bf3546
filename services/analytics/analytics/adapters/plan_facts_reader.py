"""PlanFactsReader — the raw `day_progress` documents of a team's day, for the attendance counts,
and the `day_counts` of a period's days, for the indicators' plan execution.

Read-only; the collections and their indexes belong to DayProgressStore.
"""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import ASCENDING
from pymongo.collection import Collection

from baifang_common.mongo import Document, store_adapter


@store_adapter
class PlanFactsReader:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection
        self.counts: Collection[Document] = collection.database["day_counts"]

    def team_day(self, team_id: str, date: str) -> list[Document]:
        return list(self.collection.find({"team_id": team_id, "date": date}).sort("manager_id", ASCENDING))

    def day_counts(self, dates: Sequence[str], manager_id: str = "", team_id: str = "") -> list[Document]:
        """The visit counts of the dates: one manager's by _id, a team's or everyone's by month."""
        if manager_id:
            docs = self.counts.find({"_id": {"$in": [f"{manager_id}:{day}" for day in dates]}})
            return [doc for doc in docs if not team_id or doc.get("team_id") == team_id]
        wanted, found = set(dates), []
        for month in sorted({day[:7] for day in dates}):
            query = {"team_month": f"{team_id}|{month}"} if team_id else {"month": month}
            found += [doc for doc in self.counts.find(query) if doc.get("date") in wanted]
        return found
