"""Demo data of checkin: nothing to load yet (check-ins come from use), only the indexes."""

from __future__ import annotations

from datetime import date
from typing import Any

from baifang_common import mongo as mongo_factory
from baifang_common.demo import DemoOrg
from checkin.adapters.attendance_store import AttendanceStore
from checkin.adapters.bucket_store import BucketStore
from checkin.adapters.checkin_store import CheckinStore
from checkin.adapters.gap_store import TrackingGapStore
from checkin.settings import CheckinSettings


def load_demo(settings: CheckinSettings, org: DemoOrg, *, today: date, reset: bool = False, **_: Any) -> dict[str, int]:
    """Create the indexes; on reset drop earlier check-ins, attendance days, track/scan buckets and gaps."""
    mongo = mongo_factory.client(settings)
    try:
        db = mongo_factory.database(settings, mongo)
        stores = (
            CheckinStore(db["checkins"]),
            AttendanceStore(db["attendance_days"]),
            BucketStore.tracks(db["track_buckets"]),
            BucketStore.scans(db["scan_buckets"]),
            TrackingGapStore(db["tracking_gaps"]),
        )
        for store in stores:
            if reset:
                store.collection.delete_many({})
            store.ensure_indexes()
    finally:
        mongo.close()
    return {}
