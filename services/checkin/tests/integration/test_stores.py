"""Checkin's stores against the real Mongo-compatible store and Redis."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis as redis_lib
from pymongo import MongoClient

from baifang_common import mongo as mongo_factory
from baifang_common import redis as redis_factory
from baifang_common.errors import Unavailable
from baifang_common.idempotency import OpStore
from baifang_common.testing.plugin import free_port
from checkin.adapters.attendance_store import AttendanceStore
from checkin.adapters.checkin_store import CheckinStore
from checkin.adapters.last_fixes import LastFixes, TrackFix
from checkin.adapters.live_positions import LivePositions
from checkin.domain.model import AttendanceFact, CheckinRecord, GeoPoint, LatestFix
from checkin.settings import CheckinSettings

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(settings_for: Callable[..., Any]) -> CheckinSettings:
    made: CheckinSettings = settings_for(CheckinSettings)
    return made


@pytest.fixture
def db(settings: CheckinSettings) -> Iterator[Any]:
    client = mongo_factory.client(settings)
    yield mongo_factory.database(settings, client)
    client.close()


def record(checkin_id: str = "c1", verdict: str = "ok") -> CheckinRecord:
    return CheckinRecord(
        checkin_id=checkin_id,
        op_id="op-1",
        manager_id="m001",
        team_id="t01",
        visit_id="v1",
        customer_id="c1",
        date="2025-03-03",
        lat=31.2,
        lon=121.4,
        accuracy_m=10.0,
        mock_location=False,
        fix_ts="",
        distance_m=12.5,
        verdict=verdict,
        verdict_reason="",
        client_ts="2025-03-03T09:00:00+08:00",
        received_at=datetime(2025, 3, 3, 1, 0, 1, tzinfo=UTC),
    )


def test_duplicate_checkin_insert_is_a_no_op_returning_the_first(db: Any) -> None:
    store = CheckinStore(db["checkins"])
    store.ensure_indexes()

    first, created = store.insert_once(record(verdict="ok"))
    again, created_again = store.insert_once(record(verdict="too_far"))

    assert (created, created_again) == (True, False)
    assert again == first
    assert again.verdict == "ok"
    assert again.received_at == datetime(2025, 3, 3, 1, 0, 1, tzinfo=UTC)
    assert db["checkins"].count_documents({}) == 1


def test_attendance_day_keeps_first_last_and_count_and_ignores_replays(db: Any) -> None:
    store = AttendanceStore(db["attendance_days"])
    store.ensure_indexes()

    def fact(checkin_id: str, at: str) -> AttendanceFact:
        return AttendanceFact("m001", "t01", "2025-03-03", checkin_id, at)

    store.apply(fact("c1", "2025-03-03T02:00:00.000000+00:00"))
    store.apply(fact("c1", "2025-03-03T02:00:00.000000+00:00"))
    store.apply(fact("c2", "2025-03-03T00:30:00.000000+00:00"))
    day = store.apply(fact("c3", "2025-03-03T08:15:00.000000+00:00"))

    assert day["first_checkin_at"] == "2025-03-03T00:30:00.000000+00:00"
    assert day["last_checkin_at"] == "2025-03-03T08:15:00.000000+00:00"
    assert sorted(day["checkin_ids"]) == ["c1", "c2", "c3"]
    assert day["checkin_count"] == 3


def test_a_batch_of_attendance_facts_folds_like_one_at_a_time_whatever_the_order_and_replays(db: Any) -> None:
    store = AttendanceStore(db["attendance_days"])
    store.ensure_indexes()
    facts = [
        AttendanceFact("m001", "t01", "2025-03-03", "c1", "2025-03-03T02:00:00.000000+00:00"),
        AttendanceFact("m001", "t01", "2025-03-03", "c2", "2025-03-03T00:30:00.000000+00:00"),
        AttendanceFact("m002", "t01", "2025-03-03", "c3", "2025-03-03T08:15:00.000000+00:00"),
        AttendanceFact("m001", "t01", "2025-03-04", "c4", "2025-03-04T01:00:00.000000+00:00"),
    ]

    store.apply_many([facts[2], facts[0], facts[0], facts[1]])
    store.apply_many([facts[3], facts[1], facts[2]])  # a redelivered batch, with a new fact

    days = {d["_id"]: d for d in db["attendance_days"].find()}
    figures = {
        k: (d["first_checkin_at"][11:16], d["last_checkin_at"][11:16], d["checkin_count"]) for k, d in days.items()
    }
    assert figures == {
        "m001:2025-03-03": ("00:30", "02:00", 2),
        "m002:2025-03-03": ("08:15", "08:15", 1),
        "m001:2025-03-04": ("01:00", "01:00", 1),
    }


def test_last_fix_is_only_replaced_by_a_newer_fix(settings: CheckinSettings) -> None:
    client = redis_factory.client(settings)
    fixes = LastFixes(client, redis_factory.key(settings, "last_fix"))
    at = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)

    assert fixes.get("m001") is None
    assert fixes.remember("m001", GeoPoint(31.0, 121.0), at)
    assert not fixes.remember("m001", GeoPoint(30.0, 120.0), at - timedelta(minutes=1))
    assert fixes.remember("m001", GeoPoint(31.1, 121.1), at + timedelta(minutes=1))

    latest = fixes.get("m001")
    assert latest is not None
    assert (latest.point, latest.taken_at) == (GeoPoint(31.1, 121.1), at + timedelta(minutes=1))
    assert client.exists(settings.key_prefix + "checkin:last_fix:m001")
    client.close()


def test_a_check_in_reads_the_previous_fix_and_stores_its_own_in_one_swap_newer_wins(settings: CheckinSettings) -> None:
    client = redis_factory.client(settings)
    fixes = LastFixes(client, redis_factory.key(settings, "last_fix"))
    at = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)

    assert fixes.swap("m002", (GeoPoint(31.0, 121.0), at)) is None
    previous = fixes.swap("m002", (GeoPoint(31.1, 121.1), at + timedelta(minutes=1)))
    older = fixes.swap("m002", (GeoPoint(30.0, 120.0), at - timedelta(minutes=1)))
    read_only = fixes.swap("m002", None)

    assert previous is not None and (previous.point, previous.taken_at) == (GeoPoint(31.0, 121.0), at)
    newest = (GeoPoint(31.1, 121.1), at + timedelta(minutes=1))
    assert older is not None and (older.point, older.taken_at) == newest
    assert read_only is not None and (read_only.point, read_only.taken_at) == newest
    assert fixes.swap("m003", None) is None and fixes.get("m003") is None
    client.close()


def test_a_track_point_older_than_the_check_in_fix_still_shows_on_the_live_map(settings: CheckinSettings) -> None:
    """The check-in keeps its fix first; the sink stores the track's earlier point after it."""
    client = redis_factory.client(settings)
    fixes = LastFixes(client, redis_factory.key(settings, "last_fix"))
    live = LivePositions(client, redis_factory.key(settings))
    at = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
    assert fixes.remember("m007", GeoPoint(31.0, 121.0), at)
    earlier = LatestFix(31.2, 121.2, int((at - timedelta(seconds=5)).timestamp() * 1000), 6.0, 0.5)
    fixes.remember_tracks([TrackFix("m007", "t07", earlier, "b1")])

    (shown,) = live.team("t07").positions
    assert (shown.manager_id, shown.lat, shown.lon, shown.ms) == ("m007", 31.2, 121.2, earlier.ms)
    last = fixes.get("m007")
    assert last is not None and last.taken_at == at  # the last fix stays the newer check-in's
    older = LatestFix(31.3, 121.3, earlier.ms - 60_000, 6.0, None)
    fixes.remember_tracks([TrackFix("m007", "t07", older, "b0")])
    assert live.team("t07").positions[0].ms == earlier.ms  # never moved back in time
    client.close()


def test_a_store_or_redis_that_is_down_is_unavailable_to_the_use_cases(settings: CheckinSettings) -> None:
    nowhere = free_port()
    mongo: MongoClient[Any] = MongoClient(f"mongodb://127.0.0.1:{nowhere}/", serverSelectionTimeoutMS=200)
    redis_down = redis_lib.Redis(port=nowhere, socket_connect_timeout=0.2, decode_responses=True)
    try:
        with pytest.raises(Unavailable):
            CheckinStore(mongo["checkin"]["checkins"]).get("c1")
        with pytest.raises(Unavailable):
            OpStore(mongo["checkin"]["ops"]).put("m001", "op-1", "checkin", b"{}")
        with pytest.raises(Unavailable):
            LastFixes(redis_down, redis_factory.key(settings, "last_fix")).get("m001")
    finally:
        mongo.close()
        redis_down.close()
