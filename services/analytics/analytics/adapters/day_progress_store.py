"""DayProgressStore: collection `day_progress`, one document per manager per date.

    _id "<manager_id>:<date>", manager_id, team_id, date (YYYY-MM-DD), last_event_at (fixed-width
    UTC ISO string), visits: {visit_id: {customer_id, planned, temporary, task_count,
    task_count_added, task_count_total, checked_in, completed, missed, tasks_done: {task_id: true},
    tasks_done_count}}
    index: (team_id, date)

Every field has one kind of event that writes it, and writes it with a plain `$set` of a fact
that never changes (a flag that only becomes true, a count one event carries): any order,
any repetition and any grouping of the events end in the same document. Where two events know
a value (a temporary visit's task count) each has its own field and the reader takes the
highest; the visit's status is read from its flags (rules.visit_from_document). So a batch of
events becomes one `UpdateOne` per document (`$set` of all their paths, `$max` of the top-level
string `last_event_at`), all in one `bulk_write`: no conditional "only upwards" updates, which
NX-27017 cannot express in one operation ($max on nested paths misbehaves, checked on 0.8.1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.collection import Collection

from analytics.domain.model import DayKey, ManagerProgress
from analytics.domain.rules import progress_of_document
from baifang_common.mongo import Document, ensure_indexes


def _segment(value: str, what: str) -> str:
    """An id used as a key inside a document, escaped so dots and dollars cannot break the path.

    Ids are other services' business (planning's task ids contain dots); the escape is
    reversible and keeps distinct ids distinct.
    """
    if not value or "\x00" in value:
        raise ValueError(f"{what} cannot be used as a document key: {value!r}")
    value = value.replace("%", "%25").replace(".", "%2E").replace("$", "%24")
    return value


def task_key(task_id: str) -> str:
    """The field name under a visit that marks one task done."""
    return f"tasks_done.{_segment(task_id, 'task_id')}"


@dataclass
class DayChange:
    """What one or more events say about one manager's day: visit fields to set, and when."""

    key: DayKey
    at: str  # utc_key of the latest event
    visits: dict[str, dict[str, Any]] = field(default_factory=dict)  # visit_id -> field -> value

    def merge(self, other: DayChange) -> None:
        """Fold a later change of the same document into this one (delivery order wins a tie)."""
        self.key = other.key
        self.at = max(self.at, other.at)
        for visit_id, fields in other.visits.items():
            self.visits.setdefault(visit_id, {}).update(fields)


class DayProgressStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        ensure_indexes(self.collection, [IndexModel([("team_id", ASCENDING), ("date", ASCENDING)])])

    def apply(self, changes: Iterable[DayChange]) -> int:
        """Every change in one bulk write, one update per document; returns the documents touched."""
        folded: dict[str, DayChange] = {}
        for change in changes:
            current = folded.get(change.key.doc_id)
            if current is None:
                folded[change.key.doc_id] = DayChange(change.key, change.at, {})
                current = folded[change.key.doc_id]
            current.merge(change)
        if not folded:
            return 0
        ops = [_update(change) for change in folded.values()]
        self.collection.bulk_write(ops, ordered=False)
        return len(ops)

    def team_day(self, team_id: str, date: str) -> list[ManagerProgress]:
        """Managers of the team with any event that day, by manager_id."""
        docs = self.collection.find({"team_id": team_id, "date": date}).sort("manager_id", ASCENDING)
        return [progress_of_document(doc) for doc in docs]

    def get(self, key: DayKey) -> ManagerProgress | None:
        doc = self.collection.find_one({"_id": key.doc_id})
        return progress_of_document(doc) if doc else None

    def drop(self) -> None:
        self.collection.drop()


def _update(change: DayChange) -> UpdateOne:
    key = change.key
    sets: dict[str, Any] = {"manager_id": key.manager_id, "team_id": key.team_id, "date": key.date}
    for visit_id, fields in change.visits.items():
        base = f"visits.{_segment(visit_id, 'visit_id')}"
        for name, value in fields.items():
            sets[f"{base}.{name}"] = value
    return UpdateOne({"_id": key.doc_id}, {"$set": sets, "$max": {"last_event_at": change.at}}, upsert=True)
