"""VisitTallyStore: completed visits per customer, by day and by month (visit-frequency compliance,
P-004-1), derived from the visit facts (`biz_visits`, adapters/facts_store.py).

    visit_day_tallies    _id date, seq, visits: JSON text {customer_id: completed visits that day},
                         counted from the day's visit facts
    visit_day_keys       _id date, seq: how many batches changed that day's completed visits
                         (bumped after the facts are written, read before they are counted)
    visit_month_tallies  _id month, seq, visits: JSON text {customer_id: [completed visits, last
                         visit date]}, summed from the month's day tallies: what the compliance
                         report reads (three documents for a quarter, whatever the team)
    visit_month_keys     _id month, seq: its change count, bumped after the day tallies are written

Each tally is written whole and lands only over one of a lower seq (the change-count guard of the
order views, adapters/order_views_store.py): of two batches counting one day at once, the one that
counted later read every fact the other wrote, and its tally is kept.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence

import orjson
from pymongo import ASCENDING, ReplaceOne
from pymongo.collection import Collection
from pymongo.database import Database

from analytics.adapters.order_views_store import bump_counts
from baifang_common.mongo import Document, bulk_write_chunked, find_ids, store_adapter


@store_adapter
class VisitTallyStore:
    def __init__(self, db: Database[Document]) -> None:
        self.days: Collection[Document] = db["visit_day_tallies"]
        self.day_seqs: Collection[Document] = db["visit_day_keys"]
        self.months: Collection[Document] = db["visit_month_tallies"]
        self.month_seqs: Collection[Document] = db["visit_month_keys"]

    def bump_days(self, days: Iterable[str]) -> dict[str, int]:
        """Count a change of each day's completed visits (after the facts are written)."""
        return bump_counts(self.day_seqs, days)

    def bump_months(self, months: Iterable[str]) -> dict[str, int]:
        """Count a change of each month's day tallies (after they are written)."""
        return bump_counts(self.month_seqs, months)

    def write_days(self, tallies: dict[str, tuple[dict[str, int], int]]) -> None:
        """Per date: (completed visits per customer, the seq it was counted at)."""
        _write(self.days, {day: (dict(sorted(counts.items())), seq) for day, (counts, seq) in tallies.items()})

    def write_months(self, tallies: dict[str, tuple[dict[str, list[object]], int]]) -> None:
        """Per month: ({customer_id: [visits, last date]}, the seq it was summed at)."""
        _write(self.months, {month: (dict(sorted(v.items())), seq) for month, (v, seq) in tallies.items()})

    def days_of(self, month: str) -> dict[str, dict[str, int]]:
        """The day tallies of the month's dates (days without completed visits absent)."""
        last = calendar.monthrange(int(month[:4]), int(month[5:7]))[1]
        dates = [f"{month}-{day:02d}" for day in range(1, last + 1)]
        return {doc["_id"]: orjson.loads(doc["visits"]) for doc in find_ids(self.days, dates)}

    def of_months(self, months: Sequence[str]) -> dict[str, dict[str, list[object]]]:
        """Per month: {customer_id: [completed visits, last visit date]} (months without visits absent)."""
        return {doc["_id"]: orjson.loads(doc["visits"]) for doc in find_ids(self.months, list(months))}

    def clear(self) -> None:
        """Empty the tallies (the first step of a rebuild; the change counts stay)."""
        self.days.delete_many({})
        self.months.delete_many({})

    def snapshot(self) -> dict[str, list[Document]]:
        """Every non-empty tally, decoded and by id: what a test compares after a rebuild."""
        return {
            name: [
                {"_id": d["_id"], "visits": orjson.loads(d["visits"])}
                for d in collection.find({}).sort("_id", ASCENDING)
                if d["visits"] != "{}"
            ]
            for name, collection in (("visit_day_tallies", self.days), ("visit_month_tallies", self.months))
        }


def _write(collection: Collection[Document], tallies: dict[str, tuple[dict[str, object], int]]) -> None:
    ops = [
        ReplaceOne({"_id": key, "seq": {"$lt": seq}},
                   {"_id": key, "seq": seq, "visits": orjson.dumps(visits).decode()}, upsert=True)
        for key, (visits, seq) in sorted(tallies.items())
    ]  # fmt: skip
    bulk_write_chunked(collection, ops, duplicates_ok=True)
