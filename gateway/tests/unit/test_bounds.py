"""Bounds on free-form JSON: depth, size, numbers and text that a protobuf Struct can carry."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.bounds import MAX_DEPTH, MAX_VALUES, json_problem


def _nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"qr": "BF1.c.s", "lat": 31.8, "lon": 117.2, "accuracy_m": 8, "mock_location": False, "fix_ts": None},
        {"note": "帮客户调整价签", "lines": [{"sku": "x", "qty": 2}]},
        _nested(MAX_DEPTH),
        {"n": 10**15, "m": -1e15},
    ],
)
def test_payloads_within_bounds_pass(payload: dict[str, Any]) -> None:
    assert json_problem(payload, "payload") is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (_nested(MAX_DEPTH + 1), "payload" + ".a" * MAX_DEPTH),
        (_nested(200), "payload" + ".a" * MAX_DEPTH),
        ({"lat": float("nan")}, "payload.lat"),
        ({"lat": float("inf")}, "payload.lat"),
        (json.loads('{"lat": 1e309}'), "payload.lat"),
        ({"lat": int("9" * 400)}, "payload.lat"),
        ({"lines": [1, 2, {"qty": -(10**16)}]}, "payload.lines.2.qty"),
        ({"qr": json.loads('"\\ud800"')}, "payload.qr"),
        ({"qr": "q" * 10_001}, "payload.qr"),
        ({"k" * 129: 1}, "payload"),
        ({"many": list(range(MAX_VALUES))}, "payload"),
    ],
)
def test_payloads_out_of_bounds_name_the_field(payload: dict[str, Any], field: str) -> None:
    problem = json_problem(payload, "payload")
    assert problem is not None
    assert problem[0] == field, problem
