"""Request bodies of the admin tracker routes and the OpenAPI description of GET/POST /osmand."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from gateway.schemas.common import ApiModel


class CreateTrackerRequest(ApiModel):
    manager_id: str = Field(min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=200)


def _param(name: str, description: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": kind}, "description": description}


_FIELDS: dict[str, Any] = {
    "id": {"type": "string", "description": "the tracker key"},
    "lat": {"type": "string"},
    "lon": {"type": "string"},
    "location": {"type": "string", "description": "lat,lon"},
    "timestamp": {"type": "string", "description": "unix seconds, unix milliseconds or ISO 8601"},
    "speed": {"type": "string", "description": "knots"},
    "bearing": {"type": "string"},
    "heading": {"type": "string"},
    "altitude": {"type": "string"},
    "accuracy": {"type": "string", "description": "metres"},
    "batt": {"type": "string", "description": "battery percent"},
}

TRACCAR_JSON: dict[str, Any] = {
    "type": "object",
    "description": "Traccar Client's body: device_id, location.timestamp, location.coords, location.battery",
    "properties": {
        "device_id": {"type": "string", "description": "the tracker key"},
        "location": {"type": "object"},
    },
}

OSMAND_QUERY_OPENAPI: dict[str, Any] = {
    "parameters": [
        _param("id", "the tracker key (`deviceid` is accepted too)"),
        _param("lat", "latitude, degrees"),
        _param("lon", "longitude, degrees"),
        _param("location", "`lat,lon` instead of lat and lon"),
        _param("timestamp", "unix seconds, unix milliseconds or ISO 8601; the receive time when absent"),
        _param("speed", "knots"),
        _param("bearing", "degrees (or `heading`)"),
        _param("heading", "degrees"),
        _param("altitude", "metres"),
        _param("accuracy", "metres"),
        _param("batt", "battery percent"),
    ],
}

OSMAND_OPENAPI: dict[str, Any] = {
    **OSMAND_QUERY_OPENAPI,
    "requestBody": {
        "required": False,
        "content": {
            "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": _FIELDS}},
            "application/json": {"schema": TRACCAR_JSON},
        },
    },
}
