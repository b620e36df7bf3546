"""ScanStore: retail scans per outlet and day (docs/domain.md §1.9), from `scan.batch_accepted`.

    scan_days  _id "<customer_id>:<date>", customer_id, date (company-local date of the scan),
               batches {<batch_id escaped>: [[sku, sold_qty, sold_amount, bought_qty, bought_amount, last_ts]]}
               indexes customer_id, date (single fields: NX-27017 plans no compound index)
    scan_day_outlets  _id "<bucket>|<date>" (BUCKETS buckets of outlets by a CRC of the id: a
               document NX-27017 rewrites whole at each update stays ~100 outlets small),
               rows {<customer_id escaped>: JSON text of the outlet's figures of the day
               (scan_views.outlet_row)}, seqs {<customer_id escaped>: the change count of that
               outlet-day the row was summed at}: each row lands only over one of a lower count
               (`scan_day_keys` _id "<customer_id>:<date>", seq, bumped after the batch is
               written, read before the outlet-day is read back)
    scan_day_summaries  _id date, seq, rows (JSON text {customer_id: figures}), outlets (JSON text,
               the outlets that scanned, sorted): the day's `scan_day_outlets` in two elements, what
               the group views read (NX-27017 reads a document at a cost per element: a day of
               3,000 keyed rows costs ~30 ms, these ~1 ms); summed from the day's buckets after
               the rows are written,
               guarded by `scan_day_summary_keys` (_id date, seq) the same way

A batch's figures for one outlet-day are one object under the batch's own key, written with a
plain `$set`: a redelivered or resent batch (checkin keeps its batch_id) rewrites the same path,
so nothing is counted twice and any order of batches ends in the same document. Readers sum the
batches. Amounts are quantity × unit price as the device reported it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.collection import Collection

from analytics.adapters.order_views_store import _escape, _unescape, bump_counts, shard_key
from baifang_common.mongo import Document, bulk_write_chunked, ensure_indexes, find_ids, store_adapter, write_newer

Row = list[Any]  # [sku, sold_qty, sold_amount, bought_qty, bought_amount, last_ts]
BUCKETS = 32  # scan_day_outlets documents per day


def bucket_of(day: str, customer_id: str) -> str:
    """The `scan_day_outlets` document of an outlet-day."""
    return shard_key(day, customer_id, BUCKETS)


def batch_key(batch_id: str) -> str:
    """The batch id as a field name (ids are the devices' business: dots and dollars escaped)."""
    if not batch_id or "\x00" in batch_id:
        raise ValueError(f"batch_id cannot be used as a document key: {batch_id!r}")
    return "batches." + batch_id.replace("%", "%25").replace(".", "%2E").replace("$", "%24")


@store_adapter
class ScanStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection
        db = collection.database
        self.day_outlets: Collection[Document] = db["scan_day_outlets"]
        self.outlet_seqs: Collection[Document] = db["scan_day_keys"]
        self.day_summaries: Collection[Document] = db["scan_day_summaries"]
        self.summary_seqs: Collection[Document] = db["scan_day_summary_keys"]

    def ensure_indexes(self) -> None:
        ensure_indexes(
            self.collection,
            [IndexModel([("customer_id", ASCENDING)]), IndexModel([("date", ASCENDING)])],
        )

    def apply(self, writes: Sequence[tuple[str, str, str, list[Row]]]) -> None:
        """(customer_id, date, batch_id, rows) each as one `$set`; one bulk write for the batch of events."""
        ops = [
            UpdateOne(
                {"_id": f"{customer_id}:{date}"},
                {"$set": {"customer_id": customer_id, "date": date, batch_key(batch_id): rows}},
                upsert=True,
            )
            for customer_id, date, batch_id, rows in writes
        ]
        if ops:
            self.collection.bulk_write(ops, ordered=False)

    def days(self, customer_ids: Sequence[str] | None, first: str, last: str) -> list[Document]:
        """Outlet-days from `first` to `last` (dates, inclusive) of the customers (None: all)."""
        span = {"$gte": first, "$lte": last}
        if customer_ids is not None and len(customer_ids) == 1:
            return list(self.collection.find({"customer_id": customer_ids[0], "date": span}))
        # A date range over the outlets, filtered here: NX-27017 scans the collection for `$in`.
        docs = self.collection.find({"date": span})
        wanted = None if customer_ids is None else set(customer_ids)
        return [doc for doc in docs if wanted is None or doc["customer_id"] in wanted]

    def last_days(self) -> dict[str, str]:
        """Each outlet's latest scan date (a whole pass: the rebuild only)."""
        latest: dict[str, str] = {}
        for doc in self.collection.find({}, {"customer_id": 1, "date": 1}):
            latest[doc["customer_id"]] = max(latest.get(doc["customer_id"], ""), doc["date"])
        return latest

    def outlet_days(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[Document | None, int]]:
        """Count a change of each (customer_id, date) (after its batch is written), then read the
        outlet-days back: each with the count it is read at (None: no scans that day)."""
        seqs = bump_counts(self.outlet_seqs, [f"{c}:{d}" for c, d in keys])
        docs = {doc["_id"]: doc for doc in find_ids(self.collection, sorted(seqs))}
        return {(key.rsplit(":", 1)[0], key.rsplit(":", 1)[1]): (docs.get(key), seq) for key, seq in seqs.items()}

    def write_outlet_rows(self, rows: Sequence[tuple[str, str, int, Document]]) -> None:
        """(customer_id, date, seq, figures): each lands in its day's document only over a lower seq.
        The day documents are created first (a guarded write never inserts: two first writers of
        one day would collide on its _id)."""
        buckets = sorted({bucket_of(day, customer_id) for customer_id, day, _, _ in rows})
        bulk_write_chunked(
            self.day_outlets,
            [UpdateOne({"_id": b}, {"$setOnInsert": {"rows": {}, "seqs": {}}}, upsert=True) for b in buckets],
            duplicates_ok=True,
        )
        ops = []
        for customer_id, day, seq, row in rows:
            key = _escape(customer_id)
            newer = {"$or": [{f"seqs.{key}": {"$lt": seq}}, {f"seqs.{key}": {"$exists": False}}]}
            figures = {f"seqs.{key}": seq, f"rows.{key}": orjson.dumps(row).decode()}
            # `$and` spelled out: NX-27017 (0.8.1) drops the `_id` of {"_id": …, "$or": […]}.
            ops.append(UpdateOne({"$and": [{"_id": bucket_of(day, customer_id)}, newer]}, {"$set": figures}))
        bulk_write_chunked(self.day_outlets, ops)

    def sum_days(self, days: Iterable[str]) -> None:
        """Each day's outlet rows into its summary (after they are written), claiming the count taken first."""
        seqs = bump_counts(self.summary_seqs, days)
        ids = [f"{n:02d}|{day}" for day in sorted(seqs) for n in range(BUCKETS)]
        per_day: dict[str, dict[str, str]] = {}
        for doc in find_ids(self.day_outlets, ids, {"rows": 1}):
            held = per_day.setdefault(doc["_id"].split("|", 1)[1], {})
            held.update((_unescape(key), text) for key, text in doc.get("rows", {}).items())
        summaries = []
        for day, unsorted in sorted(per_day.items()):
            rows = dict(sorted(unsorted.items()))
            packed = "{" + ",".join(f"{orjson.dumps(cid).decode()}:{text}" for cid, text in rows.items()) + "}"
            summary = {"_id": day, "seq": seqs[day], "rows": packed, "outlets": orjson.dumps(sorted(rows)).decode()}
            summaries.append(summary)
        write_newer(self.day_summaries, summaries)

    def day_rows(self, day: str) -> dict[str, Document]:
        """The figures of every outlet that scanned on the day, by customer."""
        doc = self.day_summaries.find_one({"_id": day}, {"rows": 1})
        return orjson.loads(doc["rows"]) if doc else {}

    def scanned(self, days: Sequence[str]) -> set[str]:
        """The outlets that scanned on any of the days."""
        return {cid for doc in find_ids(self.day_summaries, list(days), {"outlets": 1})
                for cid in orjson.loads(doc["outlets"])}  # fmt: skip

    def clear_summaries(self) -> None:
        """Empty the per-day rows and summaries (the first step of their rebuild; the counts stay)."""
        self.day_outlets.delete_many({})
        self.day_summaries.delete_many({})

    def keys(self) -> list[tuple[str, str]]:
        """Every (customer_id, date) with scans (a whole pass: the rebuild only)."""
        return [(doc["customer_id"], doc["date"]) for doc in self.collection.find({}, {"customer_id": 1, "date": 1})]

    def snapshot(self) -> list[Document]:
        """Every day summary decoded, by date: what a test compares after a rebuild."""
        return [
            {"_id": d["_id"], "rows": orjson.loads(d["rows"]), "outlets": orjson.loads(d["outlets"])}
            for d in self.day_summaries.find({}).sort("_id", ASCENDING)
        ]
