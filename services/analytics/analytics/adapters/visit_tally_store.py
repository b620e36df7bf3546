"""VisitTallyStore: completed visits per customer, by day and by month (visit-frequency compliance,
P-004-1), derived from the visit facts (`biz_visits`, adapters/facts_store.py). Each day and month
is kept in SHARDS documents, one per share of the customers (order_views_store.shard_key): a
batch of completions rewrites and sums the shares it touched, never the company's whole day.

    visit_day_tallies    _id "<shard>|<date>", done {<visit_id escaped>: customer_id}: the visits
                         of the day a visit.completed named, each added with its own `$set` (a
                         completion never goes away and a visit keeps its date: any order and any
                         repetition of events end in the same document, no count needed)
    visit_month_tallies  _id "<shard>|<month>", seq (how many times it was written: a write lands
                         only over the seq it read), visits: JSON text {customer_id: [completed
                         visits, last visit date]}, what the compliance report reads (SHARDS
                         documents per month, whatever the team); days: JSON text {date:
                         {customer_id: visits}}, the day tallies as last read, what a batch adds
                         the days it touched to (no report reads it)

A batch of completions reads back only the day tallies it wrote and raises each (date, customer)
count of the month tally to what it read (a day's visits only grow: a count read earlier never
lowers one read later, so any order of batches ends at the day's full count), the month's visits
moving by the same difference; the write lands only over the month tally it added to, and one
that lost to another batch adds its days again to what that one wrote.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence

import orjson
from pymongo import ASCENDING, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from analytics.adapters.order_views_store import _escape, shard_key, write_over_read
from baifang_common.mongo import WRITE_CHUNK, Document, bulk_write_chunked, find_ids, only_duplicates, store_adapter

# Shares of the customers per day and month. At 16,000 completed visits a day, one day's document
# grew to ~1 MB, and every batch of completions rewrote it and read the month's days back
# (NX-27017: 12 ms per `$set` and 23 ms per read at 15,000 entries); a share holds 1/64 of that.
SHARDS = 64


@store_adapter
class VisitTallyStore:
    def __init__(self, db: Database[Document]) -> None:
        self.days: Collection[Document] = db["visit_day_tallies"]
        self.months: Collection[Document] = db["visit_month_tallies"]

    def mark_done(self, visits: Iterable[tuple[str, str, str]]) -> list[str]:
        """Add each completed visit (date, visit_id, customer_id) to its day's share; returns the day
        shares written ("<shard>|<date>"). One upserting `$set` per day share; of two first writers
        of a day one fails on the duplicate _id, and its `$set` is sent again (the day exists then)."""
        per_day: dict[str, dict[str, str]] = {}
        for day, visit_id, customer_id in visits:
            per_day.setdefault(shard_key(day, customer_id, SHARDS), {})[f"done.{_escape(visit_id)}"] = customer_id
        days = sorted(per_day)
        for start in range(0, len(days), WRITE_CHUNK):
            chunk = days[start : start + WRITE_CHUNK]
            try:
                self.days.bulk_write([UpdateOne({"_id": d}, {"$set": per_day[d]}, upsert=True) for d in chunk], False)
            except BulkWriteError as exc:
                if not only_duplicates(exc):
                    raise
                lost = [chunk[int(e["index"])] for e in exc.details.get("writeErrors", [])]
                bulk_write_chunked(self.days, [UpdateOne({"_id": d}, {"$set": per_day[d]}) for d in lost])
        return days

    def day_counts(self, day_shares: Sequence[str]) -> dict[str, dict[str, dict[str, int]]]:
        """Per month share ("<shard>|<month>"), per date of the day shares named: each of its
        customers' completed visits (days without any absent), in one round of `_id` reads."""
        out: dict[str, dict[str, dict[str, int]]] = {}
        for doc in find_ids(self.days, list(day_shares)):
            share, day = doc["_id"].split("|")
            counts = out.setdefault(f"{share}|{day[:7]}", {}).setdefault(day, {})
            for customer_id in doc.get("done", {}).values():
                counts[customer_id] = counts.get(customer_id, 0) + 1
        return out

    def days_of(self, month_shares: Sequence[str]) -> dict[str, dict[str, dict[str, int]]]:
        """As `day_counts`, for every day of the month shares."""
        ids = []
        for month_share in month_shares:
            shard, month = month_share.split("|")
            last = calendar.monthrange(int(month[:4]), int(month[5:7]))[1]
            ids += [f"{shard}|{month}-{day:02d}" for day in range(1, last + 1)]
        return self.day_counts(ids)

    def months_to_sum(self, month_shares: Sequence[str]) -> dict[str, Document]:
        """The stored month tallies decoded: {seq, visits, days} (days None: written before they were
        kept; absent: never written)."""
        return {
            d["_id"]: {"seq": int(d["seq"]), "visits": orjson.loads(d["visits"]),
                       "days": orjson.loads(d["days"]) if "days" in d else None}
            for d in find_ids(self.months, list(month_shares))
        }  # fmt: skip

    def write_months(self, tallies: dict[str, Document]) -> set[str]:
        """Month tallies {visits, days, seq}, seq one more than the stored one they were added to (1:
        none was stored): each lands only over that one. Returns the shares that did not land."""
        docs = [
            {"_id": i, "seq": t["seq"], "visits": orjson.dumps(dict(sorted(t["visits"].items()))).decode(),
             "days": orjson.dumps(t["days"]).decode()}
            for i, t in sorted(tallies.items())
        ]  # fmt: skip
        return write_over_read(self.months, docs)

    def of_months(self, months: Sequence[str]) -> dict[str, dict[str, list[object]]]:
        """Per month: {customer_id: [completed visits, last visit date]} (months without visits absent)."""
        ids = [f"{shard:02d}|{month}" for month in months for shard in range(SHARDS)]
        out: dict[str, dict[str, list[object]]] = {}
        for doc in find_ids(self.months, ids, {"visits": 1}):
            if held := orjson.loads(doc["visits"]):
                out.setdefault(doc["_id"].split("|")[1], {}).update(held)
        return out

    def clear(self) -> None:
        """Empty the tallies (the first step of a rebuild)."""
        self.days.delete_many({})
        self.months.delete_many({})

    def snapshot(self) -> dict[str, list[Document]]:
        """Every non-empty tally, decoded and by id: what a test compares after a rebuild."""
        return {
            "visit_day_tallies": [
                {"_id": d["_id"], "done": d["done"]} for d in self.days.find({}).sort("_id", ASCENDING) if d.get("done")
            ],
            "visit_month_tallies": [
                {"_id": d["_id"], "visits": orjson.loads(d["visits"]), "days": orjson.loads(d.get("days", "null"))}
                for d in self.months.find({}).sort("_id", ASCENDING)
                if d["visits"] != "{}"
            ],
        }
