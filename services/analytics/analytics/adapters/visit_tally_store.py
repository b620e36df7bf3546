"""VisitTallyStore: completed visits per customer, by day and by month (visit-frequency compliance,
P-004-1), derived from the visit facts (`biz_visits`, adapters/facts_store.py). Each day and month
is kept in SHARDS documents, one per share of the customers (order_views_store.shard_key): a
batch of completions rewrites and sums the shares it touched, never the company's whole day.

    visit_day_tallies    _id "<shard>|<date>", done {<visit_id escaped>: customer_id}: the visits
                         of the day a visit.completed named, each added with its own `$set` (a
                         completion never goes away and a visit keeps its date: any order and any
                         repetition of events end in the same document, no count needed)
    visit_month_tallies  _id "<shard>|<month>", seq, visits: JSON text {customer_id: [completed
                         visits, last visit date]}, summed from the share's day tallies: what the
                         compliance report reads (SHARDS documents per month, whatever the team)
    visit_month_keys     _id as the month tallies, seq: its change count, bumped after the day
                         tallies are written

A month tally is written whole and lands only over one of a lower seq (the change-count guard of
the order views, adapters/order_views_store.py): of two batches summing one share at once, the one
that counted later read every day the other wrote, and its tally is kept.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence

import orjson
from pymongo import ASCENDING, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database

from analytics.adapters.order_views_store import _escape, bump_counts, shard_key
from baifang_common.mongo import Document, bulk_write_chunked, find_ids, store_adapter, write_newer

# Shares of the customers per day and month. At 16,000 completed visits a day, one day's document
# grew to ~1 MB, and every batch of completions rewrote it and read the month's days back
# (NX-27017: 12 ms per `$set` and 23 ms per read at 15,000 entries); a share holds 1/64 of that.
SHARDS = 64


@store_adapter
class VisitTallyStore:
    def __init__(self, db: Database[Document]) -> None:
        self.days: Collection[Document] = db["visit_day_tallies"]
        self.months: Collection[Document] = db["visit_month_tallies"]
        self.month_seqs: Collection[Document] = db["visit_month_keys"]

    def mark_done(self, visits: Iterable[tuple[str, str, str]]) -> set[str]:
        """Add each completed visit (date, visit_id, customer_id) to its day's share; returns the
        month shares touched ("<shard>|<month>"). The day documents are created first, then `$set`
        (two first writers of a day would otherwise collide on its _id and one of them lose its visits)."""
        per_day: dict[str, dict[str, str]] = {}
        for day, visit_id, customer_id in visits:
            per_day.setdefault(shard_key(day, customer_id, SHARDS), {})[f"done.{_escape(visit_id)}"] = customer_id
        days = sorted(per_day)
        created = [UpdateOne({"_id": day}, {"$setOnInsert": {"done": {}}}, upsert=True) for day in days]
        bulk_write_chunked(self.days, created, duplicates_ok=True)
        bulk_write_chunked(self.days, [UpdateOne({"_id": day}, {"$set": per_day[day]}) for day in days])
        return {day[:-3] for day in days}  # "<shard>|<date>" less "-<day>"

    def bump_months(self, months: Iterable[str]) -> dict[str, int]:
        """Count a change of each month share's day tallies (after they are written)."""
        return bump_counts(self.month_seqs, months)

    def write_months(self, tallies: dict[str, tuple[dict[str, list[object]], int]]) -> None:
        """Per month share: ({customer_id: [visits, last date]}, the seq it was summed at)."""
        _write(self.months, {month: (dict(sorted(v.items())), seq) for month, (v, seq) in tallies.items()})

    def days_of(self, month_shares: Sequence[str]) -> dict[str, dict[str, dict[str, int]]]:
        """Per month share ("<shard>|<month>"), per date: each of its customers' completed visits
        (days without any absent), in one round of `_id` reads for all the shares."""
        ids = []
        for month_share in month_shares:
            shard, month = month_share.split("|")
            last = calendar.monthrange(int(month[:4]), int(month[5:7]))[1]
            ids += [f"{shard}|{month}-{day:02d}" for day in range(1, last + 1)]
        out: dict[str, dict[str, dict[str, int]]] = {}
        for doc in find_ids(self.days, ids):
            share, day = doc["_id"].split("|")
            counts = out.setdefault(f"{share}|{day[:7]}", {}).setdefault(day, {})
            for customer_id in doc.get("done", {}).values():
                counts[customer_id] = counts.get(customer_id, 0) + 1
        return out

    def of_months(self, months: Sequence[str]) -> dict[str, dict[str, list[object]]]:
        """Per month: {customer_id: [completed visits, last visit date]} (months without visits absent)."""
        ids = [f"{shard:02d}|{month}" for month in months for shard in range(SHARDS)]
        out: dict[str, dict[str, list[object]]] = {}
        for doc in find_ids(self.months, ids):
            if held := orjson.loads(doc["visits"]):
                out.setdefault(doc["_id"].split("|")[1], {}).update(held)
        return out

    def clear(self) -> None:
        """Empty the tallies (the first step of a rebuild; the change counts stay)."""
        self.days.delete_many({})
        self.months.delete_many({})

    def snapshot(self) -> dict[str, list[Document]]:
        """Every non-empty tally, decoded and by id: what a test compares after a rebuild."""
        return {
            "visit_day_tallies": [
                {"_id": d["_id"], "done": d["done"]} for d in self.days.find({}).sort("_id", ASCENDING) if d.get("done")
            ],
            "visit_month_tallies": [
                {"_id": d["_id"], "visits": orjson.loads(d["visits"])}
                for d in self.months.find({}).sort("_id", ASCENDING)
                if d["visits"] != "{}"
            ],
        }


def _write(collection: Collection[Document], tallies: dict[str, tuple[dict[str, list[object]], int]]) -> None:
    docs = [{"_id": key, "seq": seq, "visits": orjson.dumps(visits).decode()} for key, (visits, seq) in tallies.items()]
    write_newer(collection, sorted(docs, key=lambda d: str(d["_id"])))
