"""op_id / client_ts validation, cursors and client version comparison."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.errors import ApiError
from gateway.middleware import parse_version, version_below
from gateway.pagination import decode_cursor, encode_cursor, page
from gateway.params import resolve_date
from gateway.schemas.checkin import CheckinRequest
from gateway.schemas.planning import CompleteTaskRequest

OP = "5f0c6a7e-2b4e-4d53-9a51-3b1f1f8e2c10"


def test_op_id_must_be_a_uuid_and_is_normalised() -> None:
    body = CompleteTaskRequest(op_id=OP.upper(), client_ts="2025-03-03T09:00:00+08:00")
    assert body.op_id == OP
    for bad in ("", "123", "not-a-uuid-at-all-not-a-uuid-at-all", "g" * 36):
        with pytest.raises(ValidationError) as info:
            CompleteTaskRequest(op_id=bad, client_ts="2025-03-03T09:00:00+08:00")
        assert info.value.errors()[0]["loc"] == ("op_id",)


@pytest.mark.parametrize("ts", ["2025-03-03T09:00:00+08:00", "2025-03-03T01:00:00Z", "2025-03-03T01:00:00.123+00:00"])
def test_client_ts_with_an_offset_is_kept_as_given(ts: str) -> None:
    assert CompleteTaskRequest(op_id=OP, client_ts=ts).client_ts == ts


@pytest.mark.parametrize("ts", ["2025-03-03T09:00:00", "yesterday", "2025-02-30T09:00:00Z", "1700000000"])
def test_client_ts_without_offset_or_malformed_is_refused(ts: str) -> None:
    with pytest.raises(ValidationError):
        CompleteTaskRequest(op_id=OP, client_ts=ts)


def test_checkin_coordinates_are_bounded_and_finite() -> None:
    good = {"op_id": OP, "qr": "BF1.c.s", "lat": 30, "lon": 120, "accuracy_m": 5, "client_ts": "2025-03-03T09:00:00Z"}
    assert CheckinRequest.model_validate(good).mock_location is False
    for field, value in (
        ("lat", 90.5),
        ("lon", -181),
        ("accuracy_m", -0.1),
        ("lat", float("nan")),
        ("lon", float("inf")),
    ):
        with pytest.raises(ValidationError):
            CheckinRequest.model_validate({**good, field: value})


def test_a_cursor_round_trips_and_is_opaque() -> None:
    cursor = encode_cursor(150)
    assert "150" not in cursor
    assert decode_cursor(cursor) == 150
    assert decode_cursor(None) == 0


@pytest.mark.parametrize("cursor", ["bogus", "eyJvIjogLTF9", "eyJ4IjogMX0", "%%%", "W10"])
def test_a_foreign_cursor_is_400(cursor: str) -> None:
    with pytest.raises(ApiError) as info:
        decode_cursor(cursor)
    assert info.value.status == 400


def test_pages_walk_the_whole_list() -> None:
    items = list(range(7))
    first = page(items, 3, 0)
    assert first["items"] == [0, 1, 2]
    second = page(items, 3, decode_cursor(first["next_cursor"]))
    third = page(items, 3, decode_cursor(second["next_cursor"]))
    assert third == {"items": [6], "next_cursor": None}


def test_versions_compare_numerically() -> None:
    assert parse_version("1.10.2") == (1, 10, 2)
    assert version_below("1.9", "1.10.0") is True
    assert version_below("1.10", "1.10.0") is False
    assert version_below("2.0.0-beta", "1.10.0") is False
    assert version_below("v0.9", "1.0") is True
    assert version_below("banana", "1.0") is None


def test_dates_default_to_today_and_refuse_garbage() -> None:
    assert len(resolve_date(None, "Asia/Shanghai")) == 10
    assert resolve_date("2025-03-03", "Asia/Shanghai") == "2025-03-03"
    for bad in ("2025-3-3x", "03/03/2025", "9999-01-01"):
        with pytest.raises(ApiError):
            resolve_date(bad, "Asia/Shanghai")
