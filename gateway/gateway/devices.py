"""Terminal devices (retail scanners) and their keys: `X-Device-Key` authenticates POST /scans.

Collection `baifang_gateway<suffix>.devices`: _id = device id, key_hash (sha256 hex of the key), customer_id,
name, active, created_at, revoked_at (aware UTC; null while active). Indexes: key_hash (unique),
(customer_id, created_at). The key itself is shown once, at creation, and never stored.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Protocol, TypeVar

from fastapi import Request, Security
from fastapi.security import APIKeyHeader
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection

from baifang_common.context import Caller
from baifang_common.timeutil import iso, now_utc
from gateway.errors import ApiError

DEVICE_ROLE = "device"
KEY_BYTES = 32  # 256 bits of randomness, url-safe base64 (43 characters)
MAX_KEY_LENGTH = 256
# Positive answers only, a few seconds at most (GATEWAY_DEVICE_CACHE_SECONDS, default 5 s): a revoked key
# stops working on every gateway process within that time (at once on the process that revoked it).
# Misses always ask the store.
DEVICE_CACHE_MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class Device:
    id: str
    customer_id: str
    name: str
    active: bool
    created_at: datetime
    revoked_at: datetime | None = None

    def public(self) -> dict[str, Any]:
        """The shape the admin routes answer (never the key, nor its hash)."""
        return {
            "device_id": self.id,
            "customer_id": self.customer_id,
            "name": self.name,
            "active": self.active,
            "created_at": iso(self.created_at),
            "revoked_at": iso(self.revoked_at) if self.revoked_at else None,
        }


def new_device_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def _now() -> datetime:
    """Now, to the millisecond the store keeps, so a first answer and a later read agree."""
    moment = now_utc()
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _device(doc: dict[str, Any]) -> Device:
    return Device(
        id=doc["_id"],
        customer_id=doc.get("customer_id", ""),
        name=doc.get("name", ""),
        active=bool(doc.get("active", False)),
        created_at=_aware(doc["created_at"]),
        revoked_at=_aware(doc["revoked_at"]) if doc.get("revoked_at") else None,
    )


def _aware(value: Any) -> datetime:
    """Aware UTC datetimes back, also from the naive string NX-27017 may have stored."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class DeviceStore:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        await self.collection.create_indexes(
            [
                IndexModel([("key_hash", ASCENDING)], unique=True),
                IndexModel([("customer_id", ASCENDING), ("created_at", ASCENDING)]),
            ]
        )

    async def create(self, customer_id: str, name: str, key_hash: str) -> Device:
        device = Device(
            id="dev-" + uuid.uuid4().hex, customer_id=customer_id, name=name, active=True, created_at=_now()
        )
        await self.collection.insert_one(
            {
                "_id": device.id,
                "key_hash": key_hash,
                "customer_id": customer_id,
                "name": name,
                "active": True,
                "created_at": device.created_at,
                "revoked_at": None,
            }
        )
        return device

    async def by_key_hash(self, key_hash: str) -> Device | None:
        doc = await self.collection.find_one({"key_hash": key_hash}, {"key_hash": 0})
        return _device(doc) if doc else None

    async def page(self, customer_id: str | None, offset: int, limit: int) -> list[Device]:
        """Up to `limit` devices from `offset`, oldest first (ask for one more to know if a page follows)."""
        query = {"customer_id": customer_id} if customer_id else {}
        cursor = self.collection.find(query, {"key_hash": 0}).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        return [_device(doc) async for doc in cursor.skip(offset).limit(limit)]

    async def revoke(self, device_id: str) -> Device | None:
        """Deactivate the device (idempotent: a revoked one keeps its first revoked_at); None if unknown.

        A conditional replace, not `$set`: NX-27017 0.8.1 stores a `$set` datetime as a naive string.
        """
        doc = await self.collection.find_one({"_id": device_id})
        if doc is None:
            return None
        if doc.get("active"):
            revoked = {**doc, "active": False, "revoked_at": _now()}
            result = await self.collection.replace_one({"_id": device_id, "active": True}, revoked)
            doc = revoked if result.matched_count else await self.collection.find_one({"_id": device_id})
        return _device(doc) if doc else None


class KeyHolder(Protocol):
    """What a key names: a device or a tracker (read-only id and active flag)."""

    @property
    def id(self) -> str: ...

    @property
    def active(self) -> bool: ...


H = TypeVar("H", bound=KeyHolder)


class CachedKeys(Generic[H]):
    """Key → active holder, positive answers cached in-process for `ttl_seconds` (~5 s); misses ask the store."""

    def __init__(self, lookup: Callable[[str], Awaitable[H | None]], ttl_seconds: float) -> None:
        self.lookup = lookup
        self.ttl_seconds = ttl_seconds
        self._cache: dict[str, tuple[float, H]] = {}

    async def authenticate(self, key: str) -> H | None:
        digest = key_digest(key)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        holder = await self.lookup(digest)
        if holder is None or not holder.active:
            self._cache.pop(digest, None)
            return None
        if len(self._cache) >= DEVICE_CACHE_MAX_ENTRIES:
            self._cache.clear()  # bounded memory; the next requests refill it
        self._cache[digest] = (now + self.ttl_seconds, holder)
        return holder

    def forget(self, holder_id: str) -> None:
        """Drop a revoked device or tracker from this process's cache at once."""
        for digest in [d for d, (_, holder) in self._cache.items() if holder.id == holder_id]:
            self._cache.pop(digest, None)


class DeviceKeys(CachedKeys[Device]):
    """Key → active device (the admin routes reach the store through `store`)."""

    def __init__(self, store: DeviceStore, ttl_seconds: float) -> None:
        super().__init__(store.by_key_hash, ttl_seconds)
        self.store = store


def invalid_device_key() -> ApiError:
    return ApiError(401, "invalid_device_key", "missing, unknown or revoked device key")


DEVICE_KEY_HEADER = APIKeyHeader(
    name="X-Device-Key", auto_error=False, description="the key an admin created for this terminal device"
)


async def current_device(request: Request, key: Annotated[str | None, Security(DEVICE_KEY_HEADER)]) -> Device:
    """FastAPI dependency: the active device the `X-Device-Key` names; 401 invalid_device_key otherwise."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise invalid_device_key()
    keys: DeviceKeys = request.app.state.deps.devices
    device = await keys.authenticate(key)
    if device is None:
        raise invalid_device_key()
    request.state.caller = Caller(device.id, DEVICE_ROLE)
    return device
