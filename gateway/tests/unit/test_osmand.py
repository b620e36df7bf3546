"""The OsmAnd decoder on the request shapes phones send: query or form parameters and Traccar Client's JSON."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from gateway.osmand import KNOT_MPS, UNKNOWN_ACCURACY_M, OsmandError, parse_json, parse_params, parse_timestamp

# 2026-03-02T08:30:15Z
MOMENT = datetime(2026, 3, 2, 8, 30, 15, tzinfo=UTC)
MS = int(MOMENT.timestamp()) * 1000


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (str(MS // 1000), MS),  # unix seconds
        (str(MS + 250), MS + 250),  # unix milliseconds
        (f"{MS // 1000}.5", MS + 500),  # seconds with a fraction
        ("2026-03-02T08:30:15Z", MS),
        ("2026-03-02T10:30:15.125+02:00", MS + 125),
        ("2026-03-02 08:30:15", MS),  # naive: UTC
        (MS // 1000, MS),  # JSON number
        (None, None),
        ("", None),
    ],
)
def test_timestamps_in_each_format(value: object, expected: int | None) -> None:
    assert parse_timestamp(value) == expected


@pytest.mark.parametrize(
    "value",
    ["yesterday", "2026-13-45T00:00:00Z", "-5", "12:30", "0x10", "9" * 400, 10**400, "0001-01-01T00:00:00+14:00"],
)
def test_garbage_timestamps_are_refused(value: str) -> None:
    with pytest.raises(OsmandError) as refused:
        parse_timestamp(value)
    assert refused.value.field == "timestamp"


def test_query_parameters_of_osmand() -> None:
    request = parse_params(
        {
            "id": "key-1",
            "lat": "31.8201",
            "lon": "117.2290",
            "timestamp": str(MS // 1000),
            "speed": "10",
            "bearing": "370",
            "altitude": "35.5",
            "accuracy": "8",
            "batt": "76",
        }
    )
    fix = request.fix
    assert request.key == "key-1" and fix is not None
    assert (fix.lat, fix.lon, fix.ts_ms, fix.accuracy_m) == (31.8201, 117.229, MS, 8.0)
    assert fix.speed_mps == pytest.approx(10 * 0.514444, abs=1e-5) and fix.speed_mps == 10 * KNOT_MPS
    assert (fix.heading, fix.altitude_m, fix.battery_pct) == (10.0, 35.5, 76.0)
    assert fix.point(0) == {
        "lat": 31.8201,
        "lon": 117.229,
        "accuracy_m": 8.0,
        "ts": "2026-03-02T08:30:15.000+00:00",
        "speed_mps": 10 * KNOT_MPS,
        "heading": 10.0,
    }


def test_location_form_and_unknown_values() -> None:
    request = parse_params({"deviceid": "k", "location": "31.5,117.25", "heading": "-1", "speed": "-1"})
    fix = request.fix
    assert request.key == "k" and fix is not None
    assert (fix.lat, fix.lon, fix.ts_ms, fix.speed_mps, fix.heading) == (31.5, 117.25, None, None, None)
    assert fix.accuracy_m == UNKNOWN_ACCURACY_M
    assert fix.point(MS)["ts"] == "2026-03-02T08:30:15.000+00:00"  # no timestamp: the receive time


@pytest.mark.parametrize(
    "params",
    [
        {"id": "k"},  # heartbeat
        {"id": "k", "valid": "false", "lat": "31.5", "lon": "117.2"},
        {"id": "k", "lat": "0", "lon": "0"},
        {"id": "k", "notificationToken": "abc"},
    ],
)
def test_requests_without_a_fix(params: dict[str, str]) -> None:
    assert parse_params(params).fix is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"id": "k", "lat": "north", "lon": "117.2"}, "lat"),
        ({"id": "k", "lat": "91", "lon": "117.2"}, "lat"),
        ({"id": "k", "lat": "31", "lon": "-181"}, "lon"),
        ({"id": "k", "lat": "31"}, "lon"),
        ({"id": "k", "lat": "nan", "lon": "117"}, "lat"),
        ({"id": "k", "location": "31.5;117.2"}, "location"),
        ({"id": "k", "lat": "31", "lon": "117", "timestamp": "soon"}, "timestamp"),
        ({"id": "k", "lat": "31", "lon": "117", "speed": "fast"}, "speed"),
        ({"id": "k", "lat": "31", "lon": "117", "batt": "140"}, "batt"),
        ({"id": "k", "lat": "31", "lon": "117", "accuracy": "inf"}, "accuracy"),
    ],
)
def test_malformed_parameters_name_the_field(params: dict[str, str], field: str) -> None:
    with pytest.raises(OsmandError) as refused:
        parse_params(params)
    assert refused.value.field == field


def _traccar_json(**coords: object) -> bytes:
    location = {
        "timestamp": "2026-03-02T08:30:15.000Z",
        "coords": {"latitude": 31.82, "longitude": 117.23, "accuracy": 4.5, "speed": 2.5, "heading": 90, **coords},
        "is_moving": True,
        "odometer": 1200,
        "event": "motionchange",
        "battery": {"level": 0.64, "is_charging": False},
        "activity": {"type": "walking"},
    }
    return orjson.dumps({"location": location, "device_id": "json-key"})


def test_traccar_client_json_body() -> None:
    request = parse_json(_traccar_json(altitude=40))
    fix = request.fix
    assert request.key == "json-key" and fix is not None
    assert (fix.lat, fix.lon, fix.ts_ms, fix.accuracy_m) == (31.82, 117.23, MS, 4.5)
    assert (fix.speed_mps, fix.heading, fix.altitude_m, fix.battery_pct) == (2.5, 90.0, 40.0, 64.0)


def test_json_without_coordinates_is_no_fix_and_broken_json_is_refused() -> None:
    assert parse_json(orjson.dumps({"device_id": "k", "notificationToken": "t"})).fix is None
    for body, field in [
        (b'{"device_id": "k", "location": ', "body"),
        (b"[1, 2]", "body"),
        (orjson.dumps({"device_id": 7}), "device_id"),
        (orjson.dumps({"device_id": "k", "location": "here"}), "location"),
        (_traccar_json(latitude="31.8x"), "lat"),
        (_traccar_json(speed=True), "speed"),
    ]:
        with pytest.raises(OsmandError) as refused:
            parse_json(body)
        assert refused.value.field == field
