"""VisitStore: collection `visits` (_id = visit id), one document per customer-visit with its tasks.

Indexes: `slot` ("<manager_id>:<date>:<customer_id>") unique — a customer is on a manager's
day list at most once, and the check-in lookup; `day_key` ("<manager_id>:<date>") — the day's
list; manager_id — period summaries; (date, status) — the end-of-day sweep;
missed_event_pending — republishing. The hot lookups use single-field keys because NX-27017
does not use compound indexes (a compound query scans the collection: ~130 ms at 21k visits
against ~1.5 ms by a single-field key); on MongoDB they cost nothing extra.
Every change bumps `version`; task and completion writes are conditional on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.collection import Collection

from baifang_common.mongo import Document, ensure_indexes, insert_new, store_adapter
from planning.domain.model import Visit, VisitStatus, visit_from_dict, visit_to_dict

INDEXES = [
    IndexModel([("slot", ASCENDING)], unique=True, name="slot_unique"),
    IndexModel([("day_key", ASCENDING)], name="day_key"),
    IndexModel([("manager_id", ASCENDING)], name="manager"),
    IndexModel([("date", ASCENDING), ("status", ASCENDING)], name="date_status"),
    IndexModel([("missed_event_pending", ASCENDING)], name="missed_event_pending"),
]


def day_key(manager_id: str, day: str) -> str:
    return f"{manager_id}:{day}"


def slot(manager_id: str, day: str, customer_id: str) -> str:
    return f"{manager_id}:{day}:{customer_id}"


def to_doc(visit: Visit) -> Document:
    data = visit_to_dict(visit)
    data["_id"] = data.pop("id")
    data["day_key"] = day_key(visit.manager_id, visit.date)
    data["slot"] = slot(visit.manager_id, visit.date, visit.customer_id)
    data["method"] = visit.method.value
    data["status"] = visit.status.value
    for task in data["tasks"]:
        task["status"] = str(task["status"])
    return data


def from_doc(doc: Document) -> Visit:
    data = dict(doc)
    data["id"] = data.pop("_id")
    data.pop("day_key", None)
    data.pop("slot", None)
    return visit_from_dict(data)


@store_adapter
class VisitStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        ensure_indexes(self.collection, INDEXES)

    def insert_many(self, visits: Sequence[Visit], chunk: int = 2000) -> int:
        """Bulk load; visits already there (same id or same manager-day-customer) are skipped."""
        inserted = 0
        for i in range(0, len(visits), chunk):
            inserted += insert_new(self.collection, [to_doc(v) for v in visits[i : i + chunk]])
        return inserted

    def get(self, visit_id: str) -> Visit | None:
        doc = self.collection.find_one({"_id": visit_id})
        return from_doc(doc) if doc else None

    def get_many(self, visit_ids: Sequence[str]) -> dict[str, Visit]:
        """Many visits in one `_id` lookup (a batch of check-in events)."""
        return {doc["_id"]: from_doc(doc) for doc in self.collection.find({"_id": {"$in": sorted(set(visit_ids))}})}

    def for_day(self, manager_id: str, day: str) -> list[Visit]:
        docs = self.collection.find({"day_key": day_key(manager_id, day)})
        return sorted((from_doc(d) for d in docs), key=lambda v: (v.order, v.id))

    def for_range(self, manager_id: str, start: str, end: str) -> list[Visit]:
        return [
            from_doc(d) for d in self.collection.find({"manager_id": manager_id, "date": {"$gte": start, "$lte": end}})
        ]

    def find(self, manager_id: str, day: str, customer_id: str) -> Visit | None:
        doc = self.collection.find_one({"slot": slot(manager_id, day, customer_id)})
        return from_doc(doc) if doc else None

    def find_slots(self, slots: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str, str], Visit]:
        """The visits at these (manager_id, date, customer_id) slots, by slot (imports read them in bulk)."""
        keys = list({slot(*s) for s in slots})
        found: dict[tuple[str, str, str], Visit] = {}
        for i in range(0, len(keys), 1000):
            for doc in self.collection.find({"slot": {"$in": keys[i : i + 1000]}}):
                visit = from_doc(doc)
                found[(visit.manager_id, visit.date, visit.customer_id)] = visit
        return found

    def insert_new(self, visit: Visit) -> bool:
        """Insert one visit; False when the manager's day already has that customer (or the id exists)."""
        return self.insert_many([visit]) == 1

    def mark_checked_in(
        self, visit_id: str, checkin_id: str, at: datetime, from_status: VisitStatus = VisitStatus.PLANNED
    ) -> bool:
        """planned (or a late-revived missed) → checked_in, atomically; False when the status moved meanwhile."""
        result = self.collection.update_one(
            {"_id": visit_id, "status": from_status.value},
            {
                "$set": {"status": VisitStatus.CHECKED_IN.value, "checkin_id": checkin_id, "checked_in_at": at},
                "$inc": {"version": 1},
            },
        )
        return result.modified_count == 1

    def check_in_planned(
        self, visit_id: str, manager_id: str, day: str, customer_id: str, checkin_id: str, at: datetime
    ) -> Visit | None:
        """The visit, when it is still planned and is the manager's visit to the outlet that day, moved
        planned → checked_in in one atomic write and returned as it is now; None otherwise (the caller
        reads it to decide). Keyed by `_id`: NX-27017 scans the collection for a write keyed otherwise."""
        query = {"_id": visit_id, "slot": slot(manager_id, day, customer_id), "status": VisitStatus.PLANNED.value}
        doc = self.collection.find_one_and_update(
            query,
            {
                "$set": {"status": VisitStatus.CHECKED_IN.value, "checkin_id": checkin_id, "checked_in_at": at},
                "$inc": {"version": 1},
            },
            return_document=ReturnDocument.AFTER,
        )
        return from_doc(doc) if doc else None

    def save_if_version(self, visit: Visit, expected_version: int) -> bool:
        """Write the whole visit when nobody changed it since `expected_version` was read."""
        doc = to_doc(visit)
        doc["version"] = expected_version + 1
        del doc["_id"]
        result = self.collection.update_one({"_id": visit.id, "version": expected_version}, {"$set": doc})
        return result.modified_count == 1

    def overdue(self, before_day: str, limit: int) -> list[Visit]:
        docs = self.collection.find({"date": {"$lt": before_day}, "status": VisitStatus.PLANNED.value}).limit(limit)
        return [from_doc(d) for d in docs]

    def mark_missed(self, visit_id: str) -> bool:
        """planned → missed, atomically, flagged until its event is out."""
        result = self.collection.update_one(
            {"_id": visit_id, "status": VisitStatus.PLANNED.value},
            {"$set": {"status": VisitStatus.MISSED.value, "missed_event_pending": True}, "$inc": {"version": 1}},
        )
        return result.modified_count == 1

    def missed_pending(self, limit: int) -> list[Visit]:
        return [from_doc(d) for d in self.collection.find({"missed_event_pending": True}).limit(limit)]

    def clear_missed_pending(self, visit_ids: Sequence[str]) -> None:
        if visit_ids:
            self.collection.update_many({"_id": {"$in": list(visit_ids)}}, {"$set": {"missed_event_pending": False}})
