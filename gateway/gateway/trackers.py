"""Standard GPS trackers (Traccar Client, OsmAnd) of managers: the key a phone sends as OsmAnd's `id`.

Collection `baifang_gateway<suffix>.trackers`: _id = tracker id, key_hash (sha256 hex of the key),
manager_id, name, active, created_at, revoked_at (aware
UTC; null while active). Indexes: key_hash (unique), (manager_id, created_at). The gateway owns it beside
the accounts it belongs to; the key is shown once, at creation, and never stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection

from baifang_common.timeutil import iso
from gateway.devices import CachedKeys, _aware, _now


@dataclass(frozen=True)
class Tracker:
    id: str
    manager_id: str
    name: str
    active: bool
    created_at: datetime
    revoked_at: datetime | None = None

    def public(self) -> dict[str, Any]:
        """The shape the admin routes answer (never the key, nor its hash)."""
        return {
            "tracker_id": self.id,
            "manager_id": self.manager_id,
            "name": self.name,
            "active": self.active,
            "created_at": iso(self.created_at),
            "revoked_at": iso(self.revoked_at) if self.revoked_at else None,
        }


def _tracker(doc: dict[str, Any]) -> Tracker:
    return Tracker(
        id=doc["_id"],
        manager_id=doc.get("manager_id", ""),
        name=doc.get("name", ""),
        active=bool(doc.get("active", False)),
        created_at=_aware(doc["created_at"]),
        revoked_at=_aware(doc["revoked_at"]) if doc.get("revoked_at") else None,
    )


class TrackerStore:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        await self.collection.create_indexes(
            [
                IndexModel([("key_hash", ASCENDING)], unique=True),
                IndexModel([("manager_id", ASCENDING), ("created_at", ASCENDING)]),
            ]
        )

    async def create(self, manager_id: str, name: str, key_hash: str) -> Tracker:
        tracker = Tracker("trk-" + uuid.uuid4().hex, manager_id, name, active=True, created_at=_now())
        await self.collection.insert_one(
            {
                "_id": tracker.id,
                "key_hash": key_hash,
                "manager_id": manager_id,
                "name": name,
                "active": True,
                "created_at": tracker.created_at,
                "revoked_at": None,
            }
        )
        return tracker

    async def by_key_hash(self, key_hash: str) -> Tracker | None:
        doc = await self.collection.find_one({"key_hash": key_hash}, {"key_hash": 0})
        return _tracker(doc) if doc else None

    async def page(self, manager_id: str | None, offset: int, limit: int) -> list[Tracker]:
        """Up to `limit` trackers from `offset`, oldest first (ask for one more to know if a page follows)."""
        query = {"manager_id": manager_id} if manager_id else {}
        cursor = self.collection.find(query, {"key_hash": 0}).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        return [_tracker(doc) async for doc in cursor.skip(offset).limit(limit)]

    async def revoke(self, tracker_id: str) -> Tracker | None:
        """Deactivate the tracker (idempotent: a revoked one keeps its first revoked_at); None if unknown.

        A conditional replace, as DeviceStore.revoke does (NX-27017 stores a `$set` datetime as text).
        """
        doc = await self.collection.find_one({"_id": tracker_id})
        if doc is None:
            return None
        if doc.get("active"):
            revoked = {**doc, "active": False, "revoked_at": _now()}
            result = await self.collection.replace_one({"_id": tracker_id, "active": True}, revoked)
            doc = revoked if result.matched_count else await self.collection.find_one({"_id": tracker_id})
        return _tracker(doc) if doc else None


class TrackerKeys(CachedKeys[Tracker]):
    """Key → active tracker, cached as device keys are (GATEWAY_DEVICE_CACHE_SECONDS)."""

    def __init__(self, store: TrackerStore, ttl_seconds: float) -> None:
        super().__init__(store.by_key_hash, ttl_seconds)
        self.store = store
