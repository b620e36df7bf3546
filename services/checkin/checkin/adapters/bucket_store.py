"""BucketStore — hour buckets of ingested items; collections `track_buckets` and `scan_buckets`.

track_buckets: _id "<manager_id>:<YYYYMMDDHH>" (UTC hour of the DEVICE time), manager_id,
  team_id, hour (aware UTC datetime), date (company-local date of the hour), points {"<epoch
  ms>": [lat, lon, accuracy_m, speed_mps|null, heading|null]}, count.
  Indexes: (manager_id, hour), (team_id, date).
scan_buckets: _id "<customer_id>:<YYYYMMDDHH>", customer_id, hour, date, scans {"<epoch ms>:
  <code hash>": [code, sku, qty, unit_price, kind, device_id]}.
  Indexes: (customer_id, hour), (date).

One bulk_write of upserting UpdateOne per batch (one per bucket touched), items written with
`$set` on their key: a replayed or redelivered batch changes nothing and one key holds one
item. Owner fields, hour and date go through `$setOnInsert` (NX-27017 turns a `$set`
datetime into a string). Readers order items by key (13-digit epoch ms = device time) and
count them by their keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.collection import Collection

from baifang_common.mongo import Document, ensure_indexes


@dataclass(frozen=True)
class BucketWrite:
    """The items of one batch that fall in one bucket."""

    bucket_id: str
    on_insert: dict[str, Any]
    items: dict[str, Any]


class BucketStore:
    def __init__(self, collection: Collection[Document], *, items_field: str, indexes: Sequence[IndexModel]) -> None:
        self.collection = collection
        self.items_field = items_field
        self.indexes = list(indexes)

    @classmethod
    def tracks(cls, collection: Collection[Document]) -> BucketStore:
        return cls(
            collection,
            items_field="points",
            indexes=[
                IndexModel([("manager_id", ASCENDING), ("hour", ASCENDING)], name="manager_hour"),
                IndexModel([("team_id", ASCENDING), ("date", ASCENDING)], name="team_date"),
            ],
        )

    @classmethod
    def scans(cls, collection: Collection[Document]) -> BucketStore:
        return cls(
            collection,
            items_field="scans",
            indexes=[
                IndexModel([("customer_id", ASCENDING), ("hour", ASCENDING)], name="customer_hour"),
                IndexModel([("date", ASCENDING)], name="date"),
            ],
        )

    def ensure_indexes(self) -> None:
        ensure_indexes(self.collection, self.indexes)

    def write(self, writes: Sequence[BucketWrite]) -> None:
        """Upsert every bucket of a batch in one bulk write.

        No stored item count: keeping one exact meant re-reading each bucket after the write
        (an aggregate over every key), which on NX-27017 cost more than the write itself.
        Readers count the keys of the items field.
        """
        if not writes:
            return
        field = self.items_field
        ops = [
            UpdateOne(
                {"_id": w.bucket_id},
                {"$set": {f"{field}.{key}": value for key, value in w.items.items()}, "$setOnInsert": w.on_insert},
                upsert=True,
            )
            for w in writes
        ]
        self.collection.bulk_write(ops, ordered=False)

    def get(self, bucket_id: str) -> Document | None:
        return self.collection.find_one({"_id": bucket_id})

    def items_of(self, owner_field: str, owner_id: str) -> list[tuple[int, list[Any]]]:
        """Every item of an owner in device-time order (for tests and small readers)."""
        out: list[tuple[int, list[Any]]] = []
        for doc in self.collection.find({owner_field: owner_id}).sort("hour", ASCENDING):
            for key, value in (doc.get(self.items_field) or {}).items():
                out.append((int(key.split(":", 1)[0]), value))
        out.sort(key=lambda kv: kv[0])
        return out
