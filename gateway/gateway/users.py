"""UserStore: the gateway's own accounts.

Collection `baifang_gateway<suffix>.users`: _id = username, name, role (manager|supervisor|admin),
team_id, password_hash (argon2), active, token_version (tokens and refresh families carry the version
they were issued under; disabling the account increments it, so none of them works again). Index:
team_id (list a team's accounts).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

logger = logging.getLogger(__name__)

ROLES = ("manager", "supervisor", "admin")
# Bounded memory for the in-process account cache; the next requests refill it.
USER_CACHE_MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class User:
    id: str
    name: str
    role: str
    team_id: str
    password_hash: str
    active: bool = True
    token_version: int = 0

    def public(self) -> dict[str, str]:
        """The shape docs/api.md answers for `user` and GET /me."""
        return {"id": self.id, "name": self.name, "role": self.role, "team_id": self.team_id}

    def admin_view(self) -> dict[str, Any]:
        """What the admin account routes answer: the public shape and whether the account is active."""
        return {**self.public(), "active": self.active}


def _user(doc: dict[str, Any]) -> User:
    return User(
        id=doc["_id"],
        name=doc.get("name", ""),
        role=doc.get("role", ""),
        team_id=doc.get("team_id", ""),
        password_hash=doc.get("password_hash", ""),
        active=bool(doc.get("active", True)),
        token_version=int(doc.get("token_version") or 0),
    )


class UserStore:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        await self.collection.create_indexes([IndexModel([("team_id", ASCENDING)])])

    async def get(self, user_id: str) -> User | None:
        doc = await self.collection.find_one({"_id": user_id})
        return _user(doc) if doc else None

    async def get_many(self, user_ids: Iterable[str]) -> dict[str, User]:
        ids = list(set(user_ids))
        if not ids:
            return {}
        return {doc["_id"]: _user(doc) async for doc in self.collection.find({"_id": {"$in": ids}})}

    async def write_imported(self, users: Iterable[tuple[User, bool]]) -> None:
        """Imported accounts in one bulk: (account, was active before). Disabling one refuses its tokens."""
        ops = []
        for u, was_active in users:
            update: dict[str, Any] = {"$set": {**u.admin_view(), "password_hash": u.password_hash}}
            del update["$set"]["id"]
            if was_active and not u.active:
                update["$inc"] = {"token_version": 1}
            ops.append(UpdateOne({"_id": u.id}, update, upsert=True))
        if ops:
            await self.collection.bulk_write(ops, ordered=False)

    async def set_active(self, user_id: str, active: bool) -> User | None:
        """Enable or disable an account (idempotent); None when there is no such account.

        Disabling also refuses every token issued until now, so enabling the account later does not
        bring a stolen token back.
        """
        update: dict[str, Any] = {"$set": {"active": active}}
        if not active:
            update["$inc"] = {"token_version": 1}
        result = await self.collection.update_one({"_id": user_id}, update)
        if not result.matched_count:
            return None
        return await self.get(user_id)

    async def upsert_many(self, users: Iterable[User], *, keep_passwords: bool) -> int:
        """Write accounts in one bulk; with keep_passwords an existing account keeps its hash."""
        ops = []
        for u in users:
            fields = {"name": u.name, "role": u.role, "team_id": u.team_id, "active": u.active}
            if keep_passwords:
                update = {"$set": fields, "$setOnInsert": {"password_hash": u.password_hash}}
            else:
                update = {"$set": {**fields, "password_hash": u.password_hash}}
            ops.append(UpdateOne({"_id": u.id}, update, upsert=True))
        if not ops:
            return 0
        await self.collection.bulk_write(ops, ordered=False)
        return len(ops)

    async def delete_all(self) -> None:
        await self.collection.delete_many({})


@dataclass
class _Cached:
    user: User
    expires: float  # monotonic time after which the account is asked for again
    fetched: float  # when the store was asked (the answer is at least this fresh)
    used: bool = False  # asked for since it was fetched


class ActiveUsers:
    """Account id → the active account, positive answers cached in-process for at most `ttl_seconds`.

    Every authenticated request asks this: a token is only as good as its account, which must still
    exist and be active. Misses and inactive accounts always ask the store.

    The accounts in use are read again together, in one store round trip, before their time is up: a
    tablet asks every 10 s, so with one read per account and expiry about every second request
    looked its account up alone. An account is never used more than `ttl_seconds` after the store
    said it was active.
    """

    def __init__(self, store: UserStore, ttl_seconds: float) -> None:
        self.store = store
        self.ttl_seconds = ttl_seconds
        self._cache: dict[str, _Cached] = {}
        self._refresh_at = 0.0
        self._refreshing = False
        self._forgotten: set[str] = set()

    async def get(self, user_id: str) -> User | None:
        now = time.monotonic()
        hit = self._cache.get(user_id)
        if hit is not None and hit.expires > now:
            hit.used = True
            if now >= self._refresh_at and not self._refreshing:
                await self._refresh_used(now)
            return hit.user
        user = await self.store.get(user_id)
        if user is None or not user.active:
            self._cache.pop(user_id, None)
            return None
        if len(self._cache) >= USER_CACHE_MAX_ENTRIES:
            self._cache.clear()
        self._cache[user_id] = _Cached(user, now + self.ttl_seconds, now)
        return user

    async def _refresh_used(self, now: float) -> None:
        """Read again, in one lookup, the accounts used since they were read that are half their time old."""
        self._refresh_at = now + self.ttl_seconds / 4
        due = [uid for uid, c in self._cache.items() if c.used and now - c.fetched >= self.ttl_seconds / 2]
        if not due:
            return
        self._refreshing = True
        self._forgotten.clear()
        try:
            found = await self.store.get_many(due)
        except PyMongoError as exc:  # the cached answers stay good until they expire
            logger.warning("could not read %d accounts again: %s", len(due), exc)
            return
        finally:
            self._refreshing = False
        for uid in due:
            user = found.get(uid)
            if uid in self._forgotten:  # changed while the lookup ran: the next request asks for it alone
                continue
            if user is None or not user.active:
                self._cache.pop(uid, None)
            else:
                self._cache[uid] = _Cached(user, now + self.ttl_seconds, now)

    def forget(self, user_id: str) -> None:
        """Drop an account from this process's cache at once (it was just disabled or changed)."""
        self._cache.pop(user_id, None)
        self._forgotten.add(user_id)
