"""Demo data of checkin: nothing to load yet (check-ins come from use), only the indexes."""

from __future__ import annotations

from datetime import date
from typing import Any

from baifang_common import mongo as mongo_factory
from baifang_common.demo import DemoOrg
from checkin.adapters.attendance_store import AttendanceStore
from checkin.adapters.checkin_store import CheckinStore
from checkin.settings import CheckinSettings


def load_demo(settings: CheckinSettings, org: DemoOrg, *, today: date, reset: bool = False, **_: Any) -> dict[str, int]:
    """Create the indexes; on reset drop earlier check-ins and attendance days (plans are reloaded too)."""
    mongo = mongo_factory.client(settings)
    try:
        db = mongo_factory.database(settings, mongo)
        checkins = CheckinStore(db["checkins"])
        attendance = AttendanceStore(db["attendance_days"])
        if reset:
            checkins.collection.delete_many({})
            attendance.collection.delete_many({})
        checkins.ensure_indexes()
        attendance.ensure_indexes()
    finally:
        mongo.close()
    return {}
