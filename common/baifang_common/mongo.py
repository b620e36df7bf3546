"""MongoDB client and database factory (one database per service) and index declaration."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import IndexModel, MongoClient
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError

from baifang_common.errors import raises_unavailable
from baifang_common.settings import ServiceSettings

Document = dict[str, Any]

# On every store adapter: the store's failures reach use cases as Unavailable (a duplicate key
# is an answer about the data, not about the store, and passes unchanged).
store_adapter = raises_unavailable("the store", (PyMongoError,), passing=(DuplicateKeyError,))


def client(settings: ServiceSettings) -> MongoClient[Document]:
    """Created in bootstrap only; short server selection so a dead store fails fast (503)."""
    return MongoClient(settings.mongo_url, tz_aware=True, serverSelectionTimeoutMS=3000, connect=False)


def database(settings: ServiceSettings, mongo: MongoClient[Document]) -> Database[Document]:
    return mongo[settings.mongo_db]


def ensure_indexes(collection: Collection[Document], indexes: Sequence[IndexModel]) -> None:
    if indexes:
        collection.create_indexes(list(indexes))
