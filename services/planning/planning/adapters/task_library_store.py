"""TaskLibraryStore: collection `task_library` (_id = task code), the base task library.

Indexes: only _id.
"""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import ReplaceOne
from pymongo.collection import Collection

from baifang_common.mongo import Document, store_adapter
from planning.domain.model import LibraryTask


@store_adapter
class TaskLibraryStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        """Nothing beyond _id: the library is small and read whole."""

    def put_many(self, tasks: Sequence[LibraryTask]) -> None:
        if tasks:
            self.collection.bulk_write(
                [
                    ReplaceOne(
                        # _id repeated in the replacement: NX-27017 does not take it from the filter on upsert.
                        {"_id": t.code},
                        {"_id": t.code, "name": t.name, "kind": t.kind, "method": t.method},
                        upsert=True,
                    )
                    for t in tasks
                ],
                ordered=False,
            )

    def list_all(self) -> list[LibraryTask]:
        return [
            LibraryTask(code=d["_id"], name=d["name"], kind=d["kind"], method=d["method"])
            for d in self.collection.find().sort("_id", 1)
        ]
