"""Demo accounts: every user of the demo organisation, with the demo password (docs/api.md "Demo data")."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from pymongo import AsyncMongoClient

from baifang_common.demo import DemoOrg
from gateway.auth import hash_password
from gateway.settings import GatewaySettings
from gateway.users import User, UserStore


async def _load(settings: GatewaySettings, org: DemoOrg, reset: bool) -> dict[str, int]:
    # One argon2 hash shared by every demo account: hashing each of ~56 users would take seconds.
    password_hash = await asyncio.to_thread(hash_password, settings.demo_password)
    users = [User(u.id, u.name, u.role, u.team_id, password_hash) for u in org.users]
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url, **settings.mongo_options)
    try:
        store = UserStore(mongo[settings.mongo_db]["users"])
        await store.ensure_indexes()
        if reset:
            await store.delete_all()
        written = await store.upsert_many(users, keep_passwords=not reset)
    finally:
        await mongo.close()
    return {"users": written}


def load_demo(settings: GatewaySettings, org: DemoOrg, *, today: date, reset: bool) -> dict[str, int]:
    """Create (or with reset, recreate) the demo accounts; existing passwords survive without reset."""
    del today  # accounts do not depend on the day; the parameter keeps every loader's signature alike
    return asyncio.run(_load(settings, org, reset))
