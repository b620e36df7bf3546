"""StandardStore: collection `terminal_standards`, one document per version of the evaluation standard.

    _id version (1, 2, …), criteria [{code, label, item, test, weight, guidance, threshold, choices}],
    saved_by, saved_at

A new version is an insert of the next number: two admins saving at once cannot both get it
(the loser's insert fails on the duplicate _id and is reported as a conflict).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import DESCENDING
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, store_adapter

STANDARDS = "terminal_standards"  # the collection


@store_adapter
class StandardStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def latest(self) -> Document | None:
        return self.collection.find_one({}, sort=[("_id", DESCENDING)])

    def add(self, version: int, criteria: Sequence[dict[str, Any]], saved_by: str, saved_at: str) -> bool:
        """Store `version`; False when another save took that number first."""
        doc = {"_id": version, "criteria": list(criteria), "saved_by": saved_by, "saved_at": saved_at}
        try:
            self.collection.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True
