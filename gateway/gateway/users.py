"""UserStore: the gateway's own accounts.

Collection `baifang_gateway<suffix>.users`: _id = username, name, role (manager|supervisor|admin),
team_id, password_hash (argon2), active. Index: team_id (list a team's accounts).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

ROLES = ("manager", "supervisor", "admin")


@dataclass(frozen=True)
class User:
    id: str
    name: str
    role: str
    team_id: str
    password_hash: str
    active: bool = True

    def public(self) -> dict[str, str]:
        """The shape API.md answers for `user` and GET /me."""
        return {"id": self.id, "name": self.name, "role": self.role, "team_id": self.team_id}


def _user(doc: dict[str, Any]) -> User:
    return User(
        id=doc["_id"],
        name=doc.get("name", ""),
        role=doc.get("role", ""),
        team_id=doc.get("team_id", ""),
        password_hash=doc.get("password_hash", ""),
        active=bool(doc.get("active", True)),
    )


class UserStore:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        await self.collection.create_indexes([IndexModel([("team_id", ASCENDING)])])

    async def get(self, user_id: str) -> User | None:
        doc = await self.collection.find_one({"_id": user_id})
        return _user(doc) if doc else None

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
