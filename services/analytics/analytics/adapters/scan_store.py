"""ScanStore: retail scans per outlet and day (docs/domain.md §1.9), from `scan.batch_accepted`.

    scan_days  _id "<customer_id>:<date>", customer_id, date (company-local date of the scan),
               batches {<batch_id escaped>: [[sku, sold_qty, sold_amount, bought_qty, bought_amount, last_ts]]}
               indexes customer_id, date (single fields: NX-27017 plans no compound index)

A batch's figures for one outlet-day are one object under the batch's own key, written with a
plain `$set`: a redelivered or resent batch (checkin keeps its batch_id) rewrites the same path,
so nothing is counted twice and any order of batches ends in the same document. Readers sum the
batches. Amounts are quantity × unit price as the device reported it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.collection import Collection

from baifang_common.mongo import Document, ensure_indexes, store_adapter

Row = list[Any]  # [sku, sold_qty, sold_amount, bought_qty, bought_amount, last_ts]


def batch_key(batch_id: str) -> str:
    """The batch id as a field name (ids are the devices' business: dots and dollars escaped)."""
    if not batch_id or "\x00" in batch_id:
        raise ValueError(f"batch_id cannot be used as a document key: {batch_id!r}")
    return "batches." + batch_id.replace("%", "%25").replace(".", "%2E").replace("$", "%24")


@store_adapter
class ScanStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

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
