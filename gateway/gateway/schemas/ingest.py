"""Documentation of the ingestion bodies (POST /tracks, /scans) for the OpenAPI document only.

These routes forward the raw body to checkin, which validates every point; no pydantic model touches the
points on the hot path. The JSON schemas below only describe the body in /openapi.json.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

MAX_POINTS = 1000
MAX_SCANS = 1000

_TS = {"type": "string", "format": "date-time", "description": "device time, ISO 8601 with offset"}

TRACK_POINT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["lat", "lon", "accuracy_m", "ts"],
    "properties": {
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
        "accuracy_m": {"type": "number", "minimum": 0},
        "speed_mps": {"type": "number", "minimum": 0},
        "heading": {"type": "number", "minimum": 0, "maximum": 360},
        "ts": _TS,
    },
}

SCAN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "sku", "qty", "kind", "ts"],
    "properties": {
        "code": {"type": "string", "description": "the retail code scanned"},
        "sku": {"type": "string"},
        "qty": {"type": "integer", "minimum": 1},
        "unit_price": {"type": "number", "minimum": 0},
        "kind": {"type": "string", "enum": ["sale", "purchase"]},
        "ts": _TS,
    },
}


def _batch_body(field: str, item: dict[str, Any], limit: int, proto_message: str) -> dict[str, Any]:
    """openapi_extra for a route whose body is JSON `{field: [...]}` or the protobuf alternative."""
    json_schema = {
        "type": "object",
        "required": [field],
        "properties": {field: {"type": "array", "maxItems": limit, "items": item}},
    }
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": json_schema},
                "application/x-protobuf": {
                    "schema": {"type": "string", "format": "binary", "description": f"a serialized {proto_message}"}
                },
            },
        }
    }


TRACKS_OPENAPI = _batch_body("points", TRACK_POINT_SCHEMA, MAX_POINTS, "baifang.checkin.v1.TrackBatch")
SCANS_OPENAPI = _batch_body("scans", SCAN_SCHEMA, MAX_SCANS, "baifang.checkin.v1.ScanBatch")


class Rejection(BaseModel):
    index: int
    reason: str


class IngestResult(BaseModel):
    """Answer of POST /tracks and /scans (documentation only: the route answers pre-serialized orjson)."""

    accepted: int
    rejected: list[Rejection]
