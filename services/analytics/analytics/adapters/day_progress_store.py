"""DayProgressStore: collection `day_progress`, one document per manager per date.

    _id "<manager_id>:<date>", manager_id, team_id, date (YYYY-MM-DD), last_event_at (fixed-width
    UTC ISO string), visits: {visit_id: {customer_id, planned, temporary, task_count, status,
    status_rank, checked_in, tasks_done: {task_id: true}, tasks_done_count}}
    index: (team_id, date)

Every write is order-independent and idempotent: plain `$set` on nested paths, and "only
upwards" fields (status_rank, tasks_done_count, task_count of temporary visits) written by a
conditional update that matches only when the stored value is lower or missing. NX-27017 does
not apply `$max` to nested paths or to dates (checked on 0.8.1), hence the conditional form and
the string `last_event_at` (top-level `$max` on strings works everywhere).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection

from analytics.domain.model import DayKey, ManagerProgress, PlannedVisit, VisitStatus
from analytics.domain.rules import progress_of_document, status_rank
from baifang_common.mongo import Document, ensure_indexes, store_adapter


def _segment(value: str, what: str) -> str:
    """An id used as a key inside a document, escaped so dots and dollars cannot break the path.

    Ids are other services' business (planning's task ids contain dots); the escape is
    reversible and keeps distinct ids distinct.
    """
    if not value or "\x00" in value:
        raise ValueError(f"{what} cannot be used as a document key: {value!r}")
    value = value.replace("%", "%25").replace(".", "%2E").replace("$", "%24")
    return value


@store_adapter
class DayProgressStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        ensure_indexes(self.collection, [IndexModel([("team_id", ASCENDING), ("date", ASCENDING)])])

    def _touch(self, key: DayKey, sets: Mapping[str, Any], at: str) -> None:
        self.collection.update_one(
            {"_id": key.doc_id},
            {
                "$set": {"manager_id": key.manager_id, "team_id": key.team_id, "date": key.date, **sets},
                "$max": {"last_event_at": at},
            },
            upsert=True,
        )

    def _raise_to(self, key: DayKey, path: str, value: int, extra: Mapping[str, Any] | None = None) -> None:
        """`$max` by hand: set `path` (and `extra`) only when the stored value is absent or lower.

        Two single-condition updates rather than one `$or` filter: NX-27017 0.8.1 reports an `$or`
        update on a nested path as modified without writing it. Each update is atomic, so
        concurrent raises still end at the highest value.
        """
        update = {"$set": {path: value, **(extra or {})}}
        if self.collection.update_one({"_id": key.doc_id, path: {"$exists": False}}, update).modified_count:
            return
        self.collection.update_one({"_id": key.doc_id, path: {"$lt": value}}, update)

    def record_plan(self, key: DayKey, visits: Sequence[PlannedVisit], at: str) -> None:
        """The published plan: every listed visit is planned with its task count."""
        sets: dict[str, Any] = {}
        for visit in visits:
            base = f"visits.{_segment(visit.visit_id, 'visit_id')}"
            sets[f"{base}.customer_id"] = visit.customer_id
            sets[f"{base}.planned"] = True
            sets[f"{base}.task_count"] = visit.task_count
        self._touch(key, sets, at)

    def record_visit(
        self,
        key: DayKey,
        visit_id: str,
        at: str,
        *,
        fields: Mapping[str, Any] | None = None,
        at_least: Mapping[str, int] | None = None,
        status: VisitStatus | None = None,
    ) -> None:
        """Facts about one visit: `fields` are $set, `at_least` only raise, `status` only moves up."""
        base = f"visits.{_segment(visit_id, 'visit_id')}"
        self._touch(key, {f"{base}.{name}": value for name, value in (fields or {}).items()}, at)
        for name, value in (at_least or {}).items():
            self._raise_to(key, f"{base}.{name}", value)
        if status is not None:
            self._raise_to(key, f"{base}.status_rank", status_rank(status), {f"{base}.status": status.value})

    def team_day(self, team_id: str, date: str) -> list[ManagerProgress]:
        """Managers of the team with any event that day, by manager_id."""
        docs = self.collection.find({"team_id": team_id, "date": date}).sort("manager_id", ASCENDING)
        return [progress_of_document(doc) for doc in docs]


def task_key(task_id: str) -> str:
    """The field name under a visit that marks one task done."""
    return f"tasks_done.{_segment(task_id, 'task_id')}"
