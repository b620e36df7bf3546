from datetime import UTC, datetime

import pytest

from baifang_common.errors import InvalidArgument
from baifang_common.events import CATALOGUE, CheckinRecorded, TaskCompleted
from baifang_common.timeutil import local_date, parse_ts, utc_key


def test_every_event_is_named_in_the_past_tense_and_unique():
    for event_type, cls in CATALOGUE.items():
        assert event_type == cls.event_type
        assert cls.producer in {"planning", "checkin", "collection", "analytics"}
        assert "." in event_type


def test_event_body_round_trips_and_ignores_unknown_fields():
    event = TaskCompleted(
        visit_id="v1",
        task_id="t1",
        task_code="A01",
        task_kind="basic",
        customer_id="c1",
        manager_id="m001",
        team_id="t01",
        date="2026-11-23",
        client_ts="2026-11-23T09:00:00+08:00",
    )
    body = event.to_body()
    assert body["event_type"] == "task.completed" and body["event_id"] and body["occurred_at"]
    again = TaskCompleted.from_body({**body, "added_by_a_newer_producer": 1})
    assert again == event


def test_checkin_event_requires_its_ids():
    with pytest.raises(TypeError):
        CheckinRecorded(checkin_id="x")  # type: ignore[call-arg]


def test_client_time_without_offset_is_refused():
    with pytest.raises(InvalidArgument):
        parse_ts("2026-11-23T09:00:00")
    with pytest.raises(InvalidArgument):
        parse_ts("yesterday")


def test_company_day_follows_the_company_time_zone():
    moment = parse_ts("2026-11-22T17:30:00Z")
    assert str(local_date(moment, "Asia/Shanghai")) == "2026-11-23"
    assert str(local_date(moment, "UTC")) == "2026-11-22"


def test_times_without_offset_take_the_zone_their_source_names() -> None:
    assert parse_ts("2026-11-23T09:00:00", naive_zone=UTC) == parse_ts("2026-11-23T09:00:00Z")


def test_event_times_normalise_to_sortable_utc() -> None:
    assert utc_key(parse_ts("2025-06-02T09:00:00+08:00")) == "2025-06-02T01:00:00.000000+00:00"
    assert utc_key(parse_ts("2025-06-02T01:00:00.5Z")) < utc_key(parse_ts("2025-06-02T09:00:01+08:00"))


def test_utc_key_sorts_like_time_across_offsets() -> None:
    early = utc_key(datetime.fromisoformat("2025-03-03T08:59:00+08:00"))
    late = utc_key(datetime.fromisoformat("2025-03-03T01:00:00+00:00"))
    assert early == "2025-03-03T00:59:00.000000+00:00"
    assert early < late
