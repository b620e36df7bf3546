"""DayProgressStore: collection `day_progress`, one document per manager per date.

    _id "<manager_id>:<date>", manager_id, team_id, date (YYYY-MM-DD), last_event_at (fixed-width
    UTC ISO string), plans: {plan event id: [[visit_id, customer_id, task_count], ...]} (ids
    escaped as the `visits` keys are), visits: {visit_id: {checkin: {customer_id}, temporary:
    {customer_id, task_count}, completion: {customer_id, tasks_done, checked_in, temporary,
    tasks_total}, missed: {customer_id}, tasks_done: {task_id: customer_id}, unplanned: {event id:
    customer_id}}}, summaries: {work summary version: saved_at}
    month (YYYY-MM), team_month "<team_id>|<month>" (what the indicators read a period by),
    rev: how many batches wrote the document (`$inc`, claimed by the count below)
    index: (team_id, date); month; team_month

`day_counts`, one small document per `day_progress` document: the same _id, manager_id, team_id,
date, month, team_month, rev, planned, completed (visits, as domain/indicators.visit_counts counts
them): what the indicators read for a period instead of every whole day (a team's month is 280
days). Counted from the day document read back after each batch's write and written only over a
lower rev, so of two batches counting one day the one that read it later is kept; the rebuild
counts every day again. Index month; team_month.

`month_counts`, one document per manager's month: _id "<manager_id>:<month>", manager_id, month,
seq, days (JSON text, one element: NX-27017 reads a document at a cost per element) {date:
[planned, completed, team_id]}: the day counts of the month gathered after each batch's counts
are written, guarded by a change count (`month_count_keys` _id as month_counts, seq, taken after
the day counts are written), so a team's month is 30 small documents, not 280 days. Index month.

Each kind of event writes its facts about a visit as one object under its own key, with a plain
`$set`: the facts never change (a visit is completed once, with one done count), so any order,
any repetition and any grouping of the events end in the same document, and the reader
(rules.visit_from_document) derives the status (completion > missed > checkin) and takes the
higher of two counts two events know. A batch of events is one `UpdateOne` per document (`$set`
of the paths, `$max` of the top-level string `last_event_at`), all in one `bulk_write`.

Why this shape on NX-27017: an update costs ~0.5 ms plus ~0.02 ms per path it sets (measured),
so a visit fact is one path, not one per field, and a published plan is one path for all its
visits; and `$max` on nested paths misbehaves there (0.8.1), which rules out "only upwards"
updates in one operation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from pymongo import ASCENDING, IndexModel, ReplaceOne, UpdateOne
from pymongo.collection import Collection

from analytics.domain.indicators import visit_counts
from analytics.domain.model import DayKey, ManagerProgress
from analytics.domain.rules import progress_of_document
from baifang_common.mongo import Document, bulk_write_chunked, ensure_indexes, store_adapter, write_newer


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


def unplanned_key(event_id: str) -> str:
    """The field name under a visit that records one unplanned task (its event id: a replay is the same)."""
    return f"unplanned.{_segment(event_id, 'event_id')}"


@dataclass
class DayChange:
    """What one or more events say about one manager's day: visit fields to set, and when."""

    key: DayKey
    at: str  # utc_key of the latest event
    visits: dict[str, dict[str, Any]] = field(default_factory=dict)  # visit_id -> field -> value
    plans: dict[str, list[list[Any]]] = field(default_factory=dict)  # plan event id -> its visits
    summaries: dict[str, str] = field(default_factory=dict)  # work summary version -> saved_at

    def merge(self, other: DayChange) -> None:
        """Fold a later change of the same document into this one (delivery order wins a tie)."""
        self.key = other.key
        self.at = max(self.at, other.at)
        for visit_id, fields in other.visits.items():
            self.visits.setdefault(visit_id, {}).update(fields)
        self.plans.update(other.plans)
        self.summaries.update(other.summaries)


@store_adapter
class DayProgressStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection
        self.counts: Collection[Document] = collection.database["day_counts"]
        self.month_counts: Collection[Document] = collection.database["month_counts"]
        self.month_count_seqs: Collection[Document] = collection.database["month_count_keys"]

    def ensure_indexes(self) -> None:
        # Single-field month indexes: NX-27017 (0.8.1) plans no query on the compound one.
        ensure_indexes(
            self.collection,
            [IndexModel([("team_id", ASCENDING), ("date", ASCENDING)]), IndexModel([("month", ASCENDING)]),
             IndexModel([("team_month", ASCENDING)])],
        )  # fmt: skip
        ensure_indexes(self.counts, [IndexModel([("month", ASCENDING)]), IndexModel([("team_month", ASCENDING)])])
        ensure_indexes(self.month_counts, [IndexModel([("month", ASCENDING)])])

    def count(self, doc_ids: Sequence[str]) -> None:
        """Count the visits of the days just written, from the days read back (one read, one write);
        a count lands only over one of a lower rev (an older count of the same day arriving late).
        Then gather the counts of each manager's month touched into its month document."""
        if doc_ids:
            self._write_counts(self.collection.find({"_id": {"$in": list(doc_ids)}}))
            self._gather({f"{manager_id}:{date[:7]}" for manager_id, date in (i.rsplit(":", 1) for i in doc_ids)})

    def recount(self) -> int:
        """Count every day again (`make rebuild-analytics`): the counts equal what the worker wrote."""
        self.counts.delete_many({})
        self.month_counts.delete_many({})
        counted = self._write_counts(self.collection.find({}))
        self._gather({f"{c['manager_id']}:{c['month']}" for c in self.counts.find({}, {"manager_id": 1, "month": 1})})
        return counted

    def _write_counts(self, docs: Iterable[Document]) -> int:
        counts = [day_count(doc) for doc in docs]
        ops = [ReplaceOne({"_id": c["_id"], "rev": {"$lt": c["rev"]}}, c, upsert=True) for c in counts]
        bulk_write_chunked(self.counts, ops, duplicates_ok=True)
        return len(counts)

    def _gather(self, manager_months: set[str]) -> None:
        """Each manager's month ("<manager_id>:<month>") from its day counts, claiming the change
        count taken after they were written: of two batches gathering one month, the later wins."""
        todo = sorted(manager_months)
        if not todo:
            return
        bulk_write_chunked(
            self.month_count_seqs, [UpdateOne({"_id": i}, {"$inc": {"seq": 1}}, upsert=True) for i in todo]
        )
        seqs = {doc["_id"]: int(doc["seq"]) for doc in self.month_count_seqs.find({"_id": {"$in": todo}})}
        ids = [f"{mm}-{day:02d}" for mm in todo for day in range(1, 32)]
        days: dict[str, dict[str, list[Any]]] = {mm: {} for mm in todo}
        for c in self.counts.find({"_id": {"$in": ids}}, {"date": 1, "team_id": 1, "planned": 1, "completed": 1}):
            days[c["_id"][: -len("-dd")]][c["date"]] = [c["planned"], c["completed"], c["team_id"]]
        docs = [
            {"_id": mm, "manager_id": mm.rsplit(":", 1)[0], "month": mm.rsplit(":", 1)[1], "seq": seqs[mm],
             "days": orjson.dumps(dict(sorted(days[mm].items()))).decode()}
            for mm in todo
        ]  # fmt: skip
        write_newer(self.month_counts, docs)

    def apply(self, changes: Iterable[DayChange]) -> list[str]:
        """Every change in one bulk write, one update per document; returns the documents touched."""
        folded: dict[str, DayChange] = {}
        for change in changes:
            current = folded.get(change.key.doc_id)
            if current is None:
                folded[change.key.doc_id] = DayChange(change.key, change.at, {})
                current = folded[change.key.doc_id]
            current.merge(change)
        if not folded:
            return []
        ops = [_update(change) for change in folded.values()]
        self.collection.bulk_write(ops, ordered=False)
        return sorted(folded)

    def backfill_months(self) -> int:
        """Set `month` and `team_month` on day documents written before they existed (the rebuild),
        and count their visits."""
        docs = list(self.collection.find({"month": {"$exists": False}}, {"team_id": 1, "date": 1}))
        ops = [
            UpdateOne({"_id": doc["_id"]}, {"$set": {"month": str(doc.get("date", ""))[:7],
                       "team_month": f"{doc.get('team_id', '')}|{str(doc.get('date', ''))[:7]}"}})
            for doc in docs
        ]  # fmt: skip
        bulk_write_chunked(self.collection, ops)
        self.count([doc["_id"] for doc in docs])
        return len(ops)

    def team_day(self, team_id: str, date: str) -> list[ManagerProgress]:
        """Managers of the team with any event that day, by manager_id."""
        docs = self.collection.find({"team_id": team_id, "date": date}).sort("manager_id", ASCENDING)
        return [progress_of_document(doc) for doc in docs]


def day_count(doc: Document) -> Document:
    """The small document the indicators read for a day: its planned and completed visits."""
    planned, completed = visit_counts(doc)
    date = str(doc.get("date", ""))
    return {"_id": doc["_id"], "manager_id": str(doc.get("manager_id", "")), "team_id": str(doc.get("team_id", "")),
            "date": date, "month": date[:7], "team_month": f"{doc.get('team_id', '')}|{date[:7]}",
            "rev": int(doc.get("rev", 0)), "planned": planned, "completed": completed}  # fmt: skip


def _update(change: DayChange) -> UpdateOne:
    key = change.key
    month = key.date[:7]
    sets: dict[str, Any] = {"manager_id": key.manager_id, "team_id": key.team_id, "date": key.date, "month": month,
                            "team_month": f"{key.team_id}|{month}"}  # fmt: skip
    for visit_id, fields in change.visits.items():
        base = f"visits.{_segment(visit_id, 'visit_id')}"
        for name, value in fields.items():
            sets[f"{base}.{name}"] = value
    for event_id, rows in change.plans.items():
        # Visit ids escaped as in the `visits` keys, so the reader matches a plan's visit to its facts.
        escaped = [[_segment(row[0], "visit_id"), *row[1:]] for row in rows]
        sets[f"plans.{_segment(event_id, 'event_id')}"] = escaped
    for version, saved_at in change.summaries.items():
        sets[f"summaries.{_segment(version, 'version')}"] = saved_at
    update = {"$set": sets, "$max": {"last_event_at": change.at}, "$inc": {"rev": 1}}
    return UpdateOne({"_id": key.doc_id}, update, upsert=True)
