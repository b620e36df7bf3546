"""WorkSummaryStore: collection `work_summaries` (_id = "<manager_id>:<date>"). Writes are conditional on `version`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, store_adapter
from planning.domain.summaries import SummaryVersion, WorkSummary


def _aware(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)


def _doc(s: WorkSummary) -> Document:
    return {
        "manager_id": s.manager_id,
        "team_id": s.team_id,
        "date": s.date,
        "summary": s.summary,
        "next_day_plan": s.next_day_plan,
        "saved_at": s.saved_at,
        "versions": [
            {"summary": v.summary, "next_day_plan": v.next_day_plan, "saved_at": v.saved_at} for v in s.versions
        ],
        "version": s.version,
    }


def _from_doc(doc: Document) -> WorkSummary:
    versions = tuple(
        SummaryVersion(v["summary"], v.get("next_day_plan", ""), _aware(v["saved_at"])) for v in doc.get("versions", [])
    )
    return WorkSummary(
        doc["manager_id"],
        doc.get("team_id", ""),
        doc["date"],
        doc["summary"],
        doc.get("next_day_plan", ""),
        _aware(doc["saved_at"]),
        versions,
        int(doc.get("version", 0)),
    )


@store_adapter
class WorkSummaryStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        """Only _id: one document per manager and day."""

    def get(self, manager_id: str, day: str) -> WorkSummary | None:
        doc = self.collection.find_one({"_id": f"{manager_id}:{day}"})
        return _from_doc(doc) if doc else None

    def save_if_version(self, summary: WorkSummary, expected_version: int | None) -> bool:
        """Insert the first save (expected_version None) or replace the one read; False when someone was first."""
        doc = _doc(summary)
        key = f"{summary.manager_id}:{summary.date}"
        if expected_version is None:
            try:
                self.collection.insert_one({"_id": key, **doc, "version": 1})
            except DuplicateKeyError:
                return False
            return True
        doc["version"] = expected_version + 1
        result = self.collection.update_one({"_id": key, "version": expected_version}, {"$set": doc})
        return result.modified_count == 1
