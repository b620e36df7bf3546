"""PlanFactsReader — the raw `day_progress` documents of a team's day, for the attendance counts.

Read-only; the collection and its (team_id, date) index belong to DayProgressStore.
"""

from __future__ import annotations

from pymongo import ASCENDING
from pymongo.collection import Collection

from baifang_common.mongo import Document, store_adapter


@store_adapter
class PlanFactsReader:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def team_day(self, team_id: str, date: str) -> list[Document]:
        return list(self.collection.find({"team_id": team_id, "date": date}).sort("manager_id", ASCENDING))
