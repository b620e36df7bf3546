"""BucketStore — GPS points and retail scans, insert-only, in chunks of one batch, owner and hour.

An hour bucket is the set of chunk documents with the same `bucket` ("<owner>:<YYYYMMDDHH>",
the UTC hour of the DEVICE time). Every accepted batch adds one chunk per hour it touches;
nothing is ever read back in order to write, and nothing stores an aggregate (a count) of
the bucket: measured on NX-27017, a growing document rewritten on every batch manages ~10k
points/s and falls as it grows, new chunk documents ~120k points/s.

track_buckets: _id "<manager_id>:<YYYYMMDDHH>:<batch digest>", bucket, manager_id, team_id,
  hour (aware UTC datetime), date (company-local date of the hour), batch (the batch id), and
  the points as columns, in device-time order, each packed as one binary value (a little-endian
  array): t (epoch ms, int64), lat, lon, accuracy (m), speed (m/s), heading (degrees) (float64;
  a missing speed or heading is NaN). Packed, because NX-27017 copies and encodes every array
  element of an inserted document: 500-point chunks insert at ~55k points/s as arrays of
  numbers and ~460k points/s packed (measured on this machine class).
scan_buckets: _id "<customer_id>:<YYYYMMDDHH>:<batch digest>", bucket, customer_id, hour, date,
  batch, and the scans as plain arrays: t, code, sku, qty, unit_price, kind, device (a few scans
  per batch, mostly strings).
Indexes: bucket; (owner, hour); hour; tracks also (team_id, date), scans (date).

The _id derives from the batch id, so a redelivered or resent batch is a duplicate key and
changes nothing (`insert_many(ordered=False)`, duplicate-key errors ignored, any other
error raised). Two batches may hold the same instant (an offline upload resent under a new
batch id): readers merge an hour's chunks in device-time order and keep one point per
timestamp (one scan per timestamp and code), the first in chunk-id order.

Compaction merges a closed hour's chunks into one document, `merged: true`, whose _id
derives from the ids it replaces: it is inserted first and the sources deleted after, so a
crash in between leaves a bucket that reads the same and is merged again next time.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import sys
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import Binary
from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, ensure_indexes, insert_new

Row = tuple[Any, ...]  # one point or scan: the values of the columns, t first


@dataclass(frozen=True)
class Column:
    """A column of a chunk; `packed` is the array typecode of a packed one ("q" int64, "d" float64)."""

    name: str
    packed: str = ""
    nullable: bool = False  # a float column whose missing values are stored as NaN

    def encode(self, values: list[Any]) -> Any:
        if not self.packed:
            return values
        if self.nullable:
            values = [math.nan if v is None else v for v in values]
        packed = array(self.packed, values)
        if sys.byteorder == "big":
            packed.byteswap()
        return Binary(packed.tobytes())

    def decode(self, stored: Any) -> list[Any]:
        if not self.packed or isinstance(stored, list):  # a plain array (chunks written before packing)
            return list(stored or ())
        values = array(self.packed)
        values.frombytes(bytes(stored or b""))
        if sys.byteorder == "big":
            values.byteswap()
        if self.nullable:
            return [None if v != v else v for v in values]  # NaN: the only value not equal to itself
        return values.tolist()


TRACK_COLUMNS = (
    Column("t", "q"),
    Column("lat", "d"),
    Column("lon", "d"),
    Column("accuracy", "d"),
    Column("speed", "d", nullable=True),
    Column("heading", "d", nullable=True),
)
SCAN_COLUMNS = tuple(Column(name) for name in ("t", "code", "sku", "qty", "unit_price", "kind", "device"))


def batch_digest(batch_id: str) -> str:
    """A short fixed-width stand-in for a client's batch id (printable, up to 128 characters)."""
    return hashlib.blake2b(batch_id.encode(), digest_size=8).hexdigest()


@dataclass(frozen=True)
class Chunk:
    """The rows of one batch that fall in one owner's hour, in device-time order."""

    bucket: str
    batch_id: str
    head: dict[str, Any]  # owner fields, hour, date
    rows: list[Row]

    @property
    def chunk_id(self) -> str:
        return f"{self.bucket}:{batch_digest(self.batch_id)}"


class BucketStore:
    def __init__(
        self,
        collection: Collection[Document],
        *,
        owner_field: str,
        columns: Sequence[Column],
        key: Callable[[Row], Any],
        indexes: Sequence[IndexModel],
    ) -> None:
        self.collection = collection
        self.owner_field = owner_field
        self.columns = tuple(columns)
        self.column_names = frozenset(c.name for c in self.columns)
        self.key = key  # identity of a row: two rows with the same key are the same point
        self.indexes = list(indexes)

    @classmethod
    def tracks(cls, collection: Collection[Document]) -> BucketStore:
        return cls(
            collection,
            owner_field="manager_id",
            columns=TRACK_COLUMNS,
            key=lambda row: row[0],
            indexes=[
                IndexModel([("bucket", ASCENDING)], name="bucket"),
                IndexModel([("manager_id", ASCENDING), ("hour", ASCENDING)], name="manager_hour"),
                IndexModel([("team_id", ASCENDING), ("date", ASCENDING)], name="team_date"),
                IndexModel([("hour", ASCENDING)], name="hour"),
            ],
        )

    @classmethod
    def scans(cls, collection: Collection[Document]) -> BucketStore:
        return cls(
            collection,
            owner_field="customer_id",
            columns=SCAN_COLUMNS,
            key=lambda row: (row[0], row[1]),
            indexes=[
                IndexModel([("bucket", ASCENDING)], name="bucket"),
                IndexModel([("customer_id", ASCENDING), ("hour", ASCENDING)], name="customer_hour"),
                IndexModel([("date", ASCENDING)], name="date"),
                IndexModel([("hour", ASCENDING)], name="hour"),
            ],
        )

    def ensure_indexes(self) -> None:
        ensure_indexes(self.collection, self.indexes)

    # --- writing ---------------------------------------------------------------------

    def document(self, chunk: Chunk) -> Document:
        doc: Document = {"_id": chunk.chunk_id, "bucket": chunk.bucket, **chunk.head, "batch": chunk.batch_id}
        doc.update(self._columns(chunk.rows))
        return doc

    def _columns(self, rows: Sequence[Row]) -> Document:
        return {column.name: column.encode([row[i] for row in rows]) for i, column in enumerate(self.columns)}

    def insert(self, chunks: Iterable[Chunk]) -> int:
        """Insert every chunk in one round trip; returns how many were new (the rest were stored before)."""
        docs = [self.document(c) for c in chunks if c.rows]
        return insert_new(self.collection, docs)

    # --- reading ---------------------------------------------------------------------

    def hour(self, bucket: str) -> list[Row]:
        """The rows of one owner's hour: its chunks merged, device-time order, one row per key."""
        return self.merge(self.collection.find({"bucket": bucket}).sort("_id", ASCENDING))

    def of_owner(self, owner_id: str, since: datetime | None = None, until: datetime | None = None) -> list[Row]:
        """Every row of an owner (optionally within [since, until) by hour), merged and in order."""
        query: dict[str, Any] = {self.owner_field: owner_id}
        if since is not None or until is not None:
            query["hour"] = {
                **({"$gte": since} if since is not None else {}),
                **({"$lt": until} if until is not None else {}),
            }
        return self.merge(self.collection.find(query).sort("_id", ASCENDING))

    def merge(self, docs: Iterable[Document]) -> list[Row]:
        """Rows of chunk documents, the first of each key in the given document order, sorted by key."""
        kept: dict[Any, Row] = {}
        key = self.key
        for doc in docs:
            for row in zip(*(column.decode(doc.get(column.name)) for column in self.columns), strict=True):
                k = key(row)
                if k not in kept:
                    kept[k] = row
        return [kept[k] for k in sorted(kept)]

    # --- compaction ------------------------------------------------------------------

    def buckets_to_compact(self, closed_before: datetime, limit: int) -> list[str]:
        """Buckets of hours before `closed_before` that hold a chunk not yet merged."""
        found: dict[str, None] = {}
        cursor = self.collection.find(
            {"hour": {"$lt": closed_before}, "merged": {"$exists": False}, "bucket": {"$exists": True}}, {"bucket": 1}
        ).limit(limit * 20)
        for doc in cursor:
            found[doc["bucket"]] = None
            if len(found) >= limit:
                break
        return list(found)

    def compact(self, bucket: str) -> int:
        """Merge a bucket's chunks into one document; returns the number of documents it replaced.

        Idempotent and crash-safe: the merged document is inserted before its sources are
        deleted, under an id derived from theirs (a rerun after a crash inserts nothing new).
        """
        docs = list(self.collection.find({"bucket": bucket}).sort("_id", ASCENDING))
        if not docs:
            return 0
        if len(docs) == 1:
            if not docs[0].get("merged"):
                self.collection.update_one({"_id": docs[0]["_id"]}, {"$set": {"merged": True}})
            return 0
        ids = [doc["_id"] for doc in docs]
        head = {k: v for k, v in docs[0].items() if k not in self.column_names and k not in ("_id", "batch", "merged")}
        merged: Document = {"_id": f"{bucket}:m{batch_digest(' '.join(ids))}", **head, "merged": True}
        merged.update(self._columns(self.merge(docs)))
        # A duplicate: an earlier run got this far and stopped before deleting the sources.
        with contextlib.suppress(DuplicateKeyError):
            self.collection.insert_one(merged)
        self.collection.delete_many({"_id": {"$in": ids}})
        return len(ids)
