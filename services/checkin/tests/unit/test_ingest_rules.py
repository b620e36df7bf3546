"""Pure ingestion rules: every rejection reason, the hour bucket of a device time, the gap rule."""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from baifang.checkin.v1 import checkin_pb2
from checkin.domain.ingest import (
    bucket_id,
    hour_of,
    iso_of_ms,
    local_date_of_hour,
    ms_of_iso,
    newest_usable,
    tracking_gaps,
    validate_json_points,
    validate_json_scans,
    validate_typed_points,
    validate_typed_scans,
)
from checkin.domain.model import GapRule, IngestLimits
from checkin.grpc_api import typed_points, typed_scans

NOW = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
NOW_MS = int(NOW.timestamp() * 1000)
LIMITS = IngestLimits()
RULE = GapRule(gap_minutes=15, work_start=time(8), work_end=time(19), timezone="Asia/Shanghai")


def point(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"lat": 31.23, "lon": 121.47, "accuracy_m": 8.0, "ts": "2025-03-03T09:59:00+08:00"}
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not ...}


def reasons(*points: Any) -> list[tuple[int, str]]:
    return validate_json_points(list(points), now_ms=NOW_MS, limits=LIMITS).rejected


def only_reason(p: Any) -> str:
    (rejection,) = reasons(p)
    return rejection[1]


def test_a_good_point_is_accepted_in_its_compact_event_form() -> None:
    validated = validate_json_points(
        [point(), point(ts="2025-03-03T01:59:30Z", speed_mps=3.5, heading=90)], now_ms=NOW_MS, limits=LIMITS
    )
    assert validated.rejected == []
    assert validated.items == [
        {"lat": 31.23, "lon": 121.47, "accuracy_m": 8.0, "ts": "2025-03-03T09:59:00+08:00"},
        {"lat": 31.23, "lon": 121.47, "accuracy_m": 8.0, "ts": "2025-03-03T01:59:30Z", "speed_mps": 3.5, "heading": 90},
    ]


@pytest.mark.parametrize(
    "bad",
    [
        point(lat=90.5),
        point(lon=-180.1),
        point(lat=0, lon=0),
        point(lat=math.nan),
        point(lon=math.inf),
        point(lat="31.2"),
        point(lat=True),
        point(lon=...),
        "not an object",
    ],
)
def test_point_without_usable_coordinates_is_invalid_coordinates(bad: Any) -> None:
    assert only_reason(bad) == "invalid_coordinates"


@pytest.mark.parametrize("accuracy", [-1.0, 500.1, math.nan, math.inf, "8", None])
def test_negative_missing_or_huge_accuracy_is_invalid_accuracy(accuracy: Any) -> None:
    assert only_reason(point(accuracy_m=accuracy)) == "invalid_accuracy"


def test_accuracy_limit_is_inclusive_and_zero_means_no_fix_but_is_kept() -> None:
    assert reasons(point(accuracy_m=500.0), point(accuracy_m=0.0, ts="2025-03-03T09:58:00+08:00")) == []


@pytest.mark.parametrize("speed", [-0.1, 100.5, math.nan, "fast"])
def test_speed_out_of_range_is_invalid_speed(speed: Any) -> None:
    assert only_reason(point(speed_mps=speed)) == "invalid_speed"


@pytest.mark.parametrize("heading", [-1, 360.5, math.inf])
def test_heading_out_of_range_is_invalid_heading(heading: Any) -> None:
    assert only_reason(point(heading=heading)) == "invalid_heading"


def test_null_speed_and_heading_mean_absent() -> None:
    validated = validate_json_points([point(speed_mps=None, heading=None)], now_ms=NOW_MS, limits=LIMITS)
    assert validated.rejected == [] and "speed_mps" not in validated.items[0]


@pytest.mark.parametrize("ts", ["yesterday", "2025-03-03T09:59:00", "2025-03-03", 1741000000, None, ...])
def test_unparseable_or_offsetless_time_is_invalid_timestamp(ts: Any) -> None:
    assert only_reason(point(ts=ts)) == "invalid_timestamp"


def test_time_more_than_five_minutes_ahead_is_in_the_future() -> None:
    assert only_reason(point(ts="2025-03-03T10:05:01+08:00")) == "timestamp_in_future"
    assert reasons(point(ts="2025-03-03T10:05:00+08:00")) == []


def test_time_older_than_seven_days_is_too_old() -> None:
    assert only_reason(point(ts="2025-02-24T09:59:59+08:00")) == "timestamp_too_old"
    assert reasons(point(ts="2025-02-24T10:00:00+08:00")) == []


def test_same_instant_twice_in_a_batch_is_a_duplicate_whatever_the_offset() -> None:
    first, again = point(ts="2025-03-03T09:00:00+08:00"), point(ts="2025-03-03T01:00:00Z", lat=31.3)
    assert reasons(first, point(ts="2025-03-03T09:01:00+08:00"), again) == [(2, "duplicate")]


def test_rejections_are_reported_by_index_and_the_rest_is_accepted() -> None:
    validated = validate_json_points(
        [
            point(ts="2025-03-03T09:00:00+08:00"),
            point(lat=99),
            point(ts="2025-03-03T09:00:01+08:00"),
            point(accuracy_m=-1),
        ],
        now_ms=NOW_MS,
        limits=LIMITS,
    )
    assert validated.rejected == [(1, "invalid_coordinates"), (3, "invalid_accuracy")]
    assert len(validated.items) == 2


def pb_point(ts: datetime | None, **fields: Any) -> checkin_pb2.TrackPoint:
    message = checkin_pb2.TrackPoint(**{"lat": 31.23, "lon": 121.47, "accuracy_m": 8.0, **fields})
    if ts is not None:
        stamp = Timestamp()
        stamp.FromDatetime(ts)
        message.ts.CopyFrom(stamp)
    return message


def test_protobuf_points_are_validated_alike_and_times_become_utc_iso() -> None:
    batch = checkin_pb2.TrackBatch(
        points=[
            pb_point(NOW - timedelta(seconds=30, milliseconds=-250), speed_mps=0.0),
            pb_point(None),
            pb_point(NOW - timedelta(seconds=30, milliseconds=-250)),
            pb_point(NOW, lat=0.0, lon=0.0),
            pb_point(NOW + timedelta(minutes=6)),
            pb_point(NOW - timedelta(minutes=1), heading=400.0),
        ]
    )
    validated = validate_typed_points(typed_points(batch.points), now_ms=NOW_MS, limits=LIMITS)
    assert validated.items == [
        {"lat": 31.23, "lon": 121.47, "accuracy_m": 8.0, "ts": "2025-03-03T01:59:30.250Z", "speed_mps": 0.0}
    ]
    assert validated.rejected == [
        (1, "invalid_timestamp"),
        (2, "duplicate"),
        (3, "invalid_coordinates"),
        (4, "timestamp_in_future"),
        (5, "invalid_heading"),
    ]


def scan(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "code": "https://e.example/q?c=6901028075831.1",
        "sku": "6901028075831",
        "qty": 2,
        "unit_price": 22.5,
        "kind": "sale",
        "ts": "2025-03-03T09:30:00+08:00",
    }
    values.update(overrides)
    return values


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (scan(code=""), "invalid_code"),
        (scan(sku=None), "invalid_code"),
        (scan(code="x" * 513), "invalid_code"),
        (scan(qty=0), "invalid_qty"),
        (scan(qty=1.5), "invalid_qty"),
        (scan(qty="2"), "invalid_qty"),
        (scan(unit_price=-0.01), "invalid_price"),
        (scan(unit_price="22"), "invalid_price"),
        (scan(kind="refund"), "invalid_kind"),
        (scan(ts="2025-03-03T09:30:00"), "invalid_timestamp"),
        (scan(ts="2025-03-03T11:00:00+08:00"), "timestamp_in_future"),
        (scan(ts="2025-01-03T09:30:00+08:00"), "timestamp_too_old"),
    ],
)
def test_bad_scan_is_rejected_with_its_reason(bad: dict[str, Any], reason: str) -> None:
    assert validate_json_scans([bad], now_ms=NOW_MS, limits=LIMITS).rejected == [(0, reason)]


def test_same_code_at_the_same_time_is_a_duplicate_scan_but_another_code_is_not() -> None:
    validated = validate_json_scans(
        [scan(), scan(code="other"), scan(qty=3), scan(kind="purchase", ts="2025-03-03T09:31:00+08:00")],
        now_ms=NOW_MS,
        limits=LIMITS,
    )
    assert validated.rejected == [(2, "duplicate")]
    assert [s["code"] for s in validated.items] == [scan()["code"], "other", scan()["code"]]


def test_protobuf_scans_are_validated_alike() -> None:
    stamp = Timestamp()
    stamp.FromDatetime(NOW - timedelta(minutes=1))
    batch = checkin_pb2.ScanBatch(
        scans=[
            checkin_pb2.Scan(code="c1", sku="s1", qty=1, unit_price=10.0, kind="sale", ts=stamp),
            checkin_pb2.Scan(code="c2", sku="s1", qty=0, unit_price=10.0, kind="sale", ts=stamp),
            checkin_pb2.Scan(code="c3", sku="s1", qty=1, unit_price=10.0, kind="sale"),
        ]
    )
    validated = validate_typed_scans(typed_scans(batch.scans), now_ms=NOW_MS, limits=LIMITS)
    assert validated.rejected == [(1, "invalid_qty"), (2, "invalid_timestamp")]
    assert validated.items[0]["ts"] == "2025-03-03T01:59:00.000Z"


def test_bucket_is_the_utc_hour_of_the_device_time() -> None:
    ms = ms_of_iso("2025-03-03T09:30:00+08:00")
    assert ms is not None
    assert bucket_id("m001", hour_of(ms)) == "m001:2025030301"
    late = ms_of_iso("2025-03-03T07:59:59.999+08:00")
    assert late is not None and bucket_id("m001", hour_of(late)) == "m001:2025030223"


def test_bucket_date_is_the_company_local_date_of_the_hour() -> None:
    ms = ms_of_iso("2025-03-02T16:00:00Z")  # 00:00 on the 3rd in Shanghai
    assert ms is not None
    assert local_date_of_hour(hour_of(ms), "Asia/Shanghai") == "2025-03-03"
    assert local_date_of_hour(hour_of(ms) - 1, "Asia/Shanghai") == "2025-03-02"


def test_iso_of_ms_round_trips_through_ms_of_iso() -> None:
    ms = 1_740_967_200_123
    assert iso_of_ms(ms) == "2025-03-03T02:00:00.123Z"
    assert ms_of_iso(iso_of_ms(ms)) == ms


def test_newest_usable_point_skips_vague_and_unfixed_points() -> None:
    rows = [
        (1, 31.0, 121.0, 10.0, None, None),
        (3, 31.2, 121.2, 150.0, None, None),
        (2, 31.1, 121.1, 0.0, None, None),
    ]
    latest = newest_usable(rows, max_accuracy_m=100.0)
    assert latest is not None and (latest.lat, latest.lon, latest.ms) == (31.0, 121.0, 1)
    assert newest_usable([(5, 31.0, 121.0, 0.0, None, None)], max_accuracy_m=100.0) is None


def local_ms(text: str) -> int:
    ms = ms_of_iso(text + "+08:00")
    assert ms is not None
    return ms


def test_fixes_more_than_fifteen_minutes_apart_in_working_hours_are_a_gap() -> None:
    times = [local_ms("2025-03-03T09:00:00"), local_ms("2025-03-03T09:10:00"), local_ms("2025-03-03T09:25:01")]
    assert tracking_gaps(times, previous_ms=None, rule=RULE) == [(times[1], times[2])]


def test_exactly_fifteen_minutes_is_not_a_gap() -> None:
    times = [local_ms("2025-03-03T09:00:00"), local_ms("2025-03-03T09:15:00")]
    assert tracking_gaps(times, previous_ms=None, rule=RULE) == []


def test_a_gap_needs_both_fixes_inside_working_hours_of_one_day() -> None:
    early = [local_ms("2025-03-03T07:30:00"), local_ms("2025-03-03T08:30:00")]
    evening = [local_ms("2025-03-03T18:30:00"), local_ms("2025-03-03T19:30:00")]
    overnight = [local_ms("2025-03-03T18:50:00"), local_ms("2025-03-04T08:10:00")]
    for times in (early, evening, overnight):
        assert tracking_gaps(times, previous_ms=None, rule=RULE) == []


def test_gap_is_measured_from_the_previous_fix_when_it_is_older() -> None:
    times = [local_ms("2025-03-03T10:00:00")]
    previous = local_ms("2025-03-03T09:00:00")
    assert tracking_gaps(times, previous_ms=previous, rule=RULE) == [(previous, times[0])]
    newer = local_ms("2025-03-03T11:00:00")
    assert tracking_gaps(times, previous_ms=newer, rule=RULE) == []


@pytest.mark.parametrize(
    "text",
    ["2025-03-03T01:02:03.456Z", "2025-03-03T23:59:59.999Z", "2024-02-29T00:00:00.000Z", "1970-01-01T00:00:00.001Z"],
)
def test_the_shortcut_for_iso_of_ms_text_gives_what_the_parser_gives(text: str) -> None:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert ms_of_iso(text) == round(parsed.timestamp() * 1000)
    assert ms_of_iso(iso_of_ms(ms_of_iso(text) or 0)) == ms_of_iso(text)


@pytest.mark.parametrize("text", ["2025-03-03T01:02:61.456Z", "2025-13-03T01:02:03.456Z", "2025-03-03T01:02:0x.456Z"])
def test_malformed_text_of_that_shape_is_refused(text: str) -> None:
    assert ms_of_iso(text) is None
