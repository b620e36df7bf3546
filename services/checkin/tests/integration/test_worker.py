"""The worker as a real subprocess, driven over AMQP."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from pymongo import MongoClient

from baifang_common.events import CheckinRecorded
from baifang_common.publisher import EventPublisher
from baifang_common.testing.plugin import store_url_for
from baifang_common.testing.wait import wait_until
from checkin.domain.rules import event_id_for
from checkin.settings import CheckinSettings

pytestmark = pytest.mark.integration


def consumed(metrics_port: int, outcome: str) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2) as resp:
        text = resp.read().decode()
    pattern = rf'baifang_event_consume_seconds_count\{{event_type="checkin.recorded",outcome="{outcome}"\}} (\S+)'
    match = re.search(pattern, text)
    return int(float(match.group(1))) if match else 0


def event(checkin_id: str, client_ts: str) -> CheckinRecorded:
    return CheckinRecorded(
        event_id=event_id_for(checkin_id),
        checkin_id=checkin_id,
        visit_id="v-" + checkin_id,
        customer_id="c1",
        manager_id="m001",
        team_id="t01",
        date="2025-03-03",
        lat=31.23,
        lon=121.47,
        accuracy_m=10.0,
        distance_m=15.0,
        verdict="ok",
        verdict_reason="",
        mock_location=False,
        client_ts=client_ts,
        received_at="2025-03-03T01:00:01+00:00",
    )


def test_worker_applies_a_checkin_published_twice_exactly_once(
    isolation: dict[str, str], spawn_process: Callable[..., Any]
) -> None:
    worker = spawn_process("checkin", "worker", env=isolation)
    publisher = EventPublisher(isolation["AMQP_URI"])
    mongo: MongoClient[dict[str, Any]] = MongoClient(store_url_for(CheckinSettings, isolation), tz_aware=True)
    days = mongo[f"baifang_checkin{isolation['BAIFANG_DB_SUFFIX']}"]["attendance_days"]
    try:
        first = event("ck1", "2025-03-03T09:00:00+08:00")
        publisher.publish(first)
        publisher.publish(first)
        wait_until(
            lambda: consumed(worker.metrics_port, "applied") + consumed(worker.metrics_port, "duplicate") >= 2,
            timeout=20,
            what="both deliveries handled",
        )
        day = days.find_one({"_id": "m001:2025-03-03"})
        assert day is not None
        assert (day["checkin_count"], day["checkin_ids"]) == (1, ["ck1"])

        publisher.publish(event("ck2", "2025-03-03T17:30:00+08:00"))
        wait_until(
            lambda: (days.find_one({"_id": "m001:2025-03-03"}) or {}).get("checkin_count") == 2,
            timeout=20,
            what="second check-in applied",
        )
        day = days.find_one({"_id": "m001:2025-03-03"})
        assert day is not None
        assert day["first_checkin_at"] == "2025-03-03T01:00:00.000000+00:00"
        assert day["last_checkin_at"] == "2025-03-03T09:30:00.000000+00:00"
    finally:
        publisher.close()
        mongo.close()
