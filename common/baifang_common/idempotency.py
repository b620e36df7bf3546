"""Results of client writes by op_id, kept forever in the owning service's database.

A replayed op_id returns the stored answer and changes nothing. Only successful answers are
stored, so a write refused for the current state can be retried once the state allows it.
Collection `ops`: _id = "<caller>:<op_id>" (one user cannot replay another's operation).
"""

from __future__ import annotations

from datetime import UTC, datetime

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, store_adapter


@store_adapter
class OpStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    @staticmethod
    def _id(caller_id: str, op_id: str) -> str:
        return f"{caller_id}:{op_id}"

    def get(self, caller_id: str, op_id: str) -> bytes | None:
        if not op_id:
            return None
        doc = self.collection.find_one({"_id": self._id(caller_id, op_id)})
        return bytes(doc["result"]) if doc else None

    def put(self, caller_id: str, op_id: str, kind: str, result: bytes) -> bytes:
        """Store the first answer; when a concurrent replay won the race, return its answer."""
        return self.put_once(caller_id, op_id, kind, result)[0]

    def put_once(self, caller_id: str, op_id: str, kind: str, result: bytes) -> tuple[bytes, bool]:
        """Store the first answer; returns the kept answer and whether this call stored it.

        For writes that are idempotent on their own: they skip the `get` before applying, and learn
        here whether the op had been applied before."""
        if not op_id:
            return result, True
        try:
            self.collection.insert_one(
                {"_id": self._id(caller_id, op_id), "kind": kind, "result": result, "at": datetime.now(UTC)}
            )
            return result, True
        except DuplicateKeyError:
            return self.get(caller_id, op_id) or result, False
