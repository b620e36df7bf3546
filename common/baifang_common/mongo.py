"""MongoDB client and database factory (one database per service) and index declaration."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pymongo import IndexModel, MongoClient, ReplaceOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from baifang_common.errors import raises_unavailable
from baifang_common.settings import ServiceSettings

Document = dict[str, Any]

# On every store adapter: the store's failures reach use cases as Unavailable (a duplicate key,
# or a bulk write's per-document errors, are answers about the data, not about the store, and
# pass unchanged: a batched consumer finds the culprit by splitting, not by waiting).
store_adapter = raises_unavailable("the store", (PyMongoError,), passing=(DuplicateKeyError, BulkWriteError))
DUPLICATE_KEY = 11000


def client(settings: ServiceSettings) -> MongoClient[Document]:
    """Created in bootstrap only. Bounded waits (settings.mongo_options): a dead or frozen store
    raises a PyMongoError (ServerSelectionTimeoutError, NetworkTimeout, WaitQueueTimeoutError) that
    `store_adapter` turns into Unavailable, well before the caller's deadline."""
    return MongoClient(settings.mongo_url, connect=False, **settings.mongo_options)


def database(settings: ServiceSettings, mongo: MongoClient[Document]) -> Database[Document]:
    return mongo[settings.mongo_db]


def ensure_indexes(collection: Collection[Document], indexes: Sequence[IndexModel]) -> None:
    if indexes:
        collection.create_indexes(list(indexes))


def only_duplicates(exc: BulkWriteError) -> bool:
    """Whether a bulk write failed only on duplicate _ids (documents stored before), nothing else."""
    errors = exc.details.get("writeErrors", [])
    return all(e.get("code") == DUPLICATE_KEY for e in errors) and not exc.details.get("writeConcernErrors")


WRITE_CHUNK = 1000  # operations per bulk round trip
READ_CHUNK = 500  # ids per `$in` read


def find_ids(
    collection: Collection[Document], ids: Sequence[str], fields: dict[str, int] | None = None
) -> list[Document]:
    """The documents of the ids, in `$in` reads of READ_CHUNK ids: `_id` is the one field NX-27017 looks
    up rather than scans for `$in`, and a bounded list keeps each round trip short. Each read asks for
    all its documents in one reply (NX-27017 sends 101 a reply unless asked: 500 ids took 5)."""
    docs: list[Document] = []
    for start in range(0, len(ids), READ_CHUNK):
        chunk = list(ids[start : start + READ_CHUNK])
        docs.extend(collection.find({"_id": {"$in": chunk}}, fields).batch_size(len(chunk)))
    return docs


def write_newer(collection: Collection[Document], docs: Iterable[Document]) -> None:
    """Replace each document ({_id, seq, ...}) only over a stored one of a lower `seq`: when two batches
    recompute one key at once, the one counted later wins whatever order the writes arrive in (the
    other's upsert fails on the duplicate _id, which is ignored)."""
    ops = [ReplaceOne({"_id": d["_id"], "seq": {"$lt": d["seq"]}}, d, upsert=True) for d in docs]
    bulk_write_chunked(collection, ops, duplicates_ok=True)


def bulk_write_chunked(
    collection: Collection[Document], ops: Sequence[Any], *, duplicates_ok: bool = False, size: int = WRITE_CHUNK
) -> None:
    """Unordered bulk writes of at most `size` operations each.

    One bulk of tens of thousands of upserts (a large order import's batch) outlasts the socket
    timeout on NX-27017; retried whole after the timeout, it never completes. With
    `duplicates_ok`, a duplicate _id (a conditional upsert that lost to a stored document) is the
    expected outcome and ignored; any other error is raised.
    """
    for start in range(0, len(ops), size):
        try:
            collection.bulk_write(list(ops[start : start + size]), ordered=False)
        except BulkWriteError as exc:
            if not duplicates_ok or not only_duplicates(exc):
                raise


def insert_new(collection: Collection[Document], docs: Sequence[Document]) -> int:
    """Insert-only writes with ids derived from their content: one `insert_many(ordered=False)`
    where a duplicate _id means "stored before" (a redelivery) and any other error is raised.
    Returns how many documents were new."""
    if not docs:
        return 0
    try:
        return len(collection.insert_many(list(docs), ordered=False).inserted_ids)
    except BulkWriteError as exc:
        if not only_duplicates(exc):
            raise
        return int(exc.details.get("nInserted", len(docs) - len(exc.details.get("writeErrors", []))))
