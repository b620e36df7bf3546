"""The OsmAnd protocol as Traccar's server accepts it (port 5055): what phones running Traccar Client or
OsmAnd's online tracking send, decoded into one fix in our units.

Three shapes of one request: query parameters, a form body (`id`, `lat`/`lon` or `location=lat,lon`,
`timestamp`, `speed` in knots, `bearing`/`heading`, `altitude`, `accuracy`, `batt`), or the JSON body of
current Traccar Client versions (`{"device_id", "location": {"timestamp", "coords": {latitude, longitude,
speed (m/s), heading, altitude, accuracy}, "battery": {"level": 0..1}}}`). A request without a position
(a heartbeat, a push-token upload, `valid=false`, 0,0) is no fix; a malformed value is an OsmandError.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

KNOT_MPS = 1852 / 3600
# Below this a numeric timestamp is unix seconds, above it unix milliseconds (10^11 s is the year 5138,
# 10^11 ms is 1973): the rule Traccar applies, with room for both.
SECONDS_LIMIT = 100_000_000_000
# Phones that know no accuracy send none (or -1): the point is kept, at a modest assumed accuracy, so it is
# drawn on the map without ever looking precise.
UNKNOWN_ACCURACY_M = 50.0
MAX_KEY_LENGTH = 256
MAX_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z, the last instant a datetime holds


class OsmandError(ValueError):
    """A malformed request (400): the field and what is wrong with it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class OsmandFix:
    """One position, in the units of POST /tracks (m/s, degrees, metres); altitude and battery are read
    and checked but the track keeps neither."""

    lat: float
    lon: float
    ts_ms: int | None  # None: the phone sent no time, the server's receive time applies
    accuracy_m: float
    speed_mps: float | None
    heading: float | None
    altitude_m: float | None
    battery_pct: float | None

    def point(self, now_ms: int) -> dict[str, Any]:
        """The fix as a POST /tracks point."""
        point: dict[str, Any] = {
            "lat": self.lat,
            "lon": self.lon,
            "accuracy_m": self.accuracy_m,
            "ts": iso_ms(self.ts_ms if self.ts_ms is not None else now_ms),
        }
        if self.speed_mps is not None:
            point["speed_mps"] = self.speed_mps
        if self.heading is not None:
            point["heading"] = self.heading
        return point


@dataclass(frozen=True)
class OsmandRequest:
    key: str  # the tracker key (`id`, `deviceid` or the JSON `device_id`); "" when absent
    fix: OsmandFix | None


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def _number(field: str, value: Any) -> float:
    if isinstance(value, bool):
        raise OsmandError(field, "not a number")
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:
            raise OsmandError(field, "not a finite number") from None
    else:
        try:
            number = float(str(value).strip())
        except (ValueError, OverflowError):
            raise OsmandError(field, "not a number") from None
    if not math.isfinite(number):
        raise OsmandError(field, "not a finite number")
    return number


def _optional(field: str, value: Any) -> float | None:
    if value is None or value == "":
        return None
    return _number(field, value)


def _known(value: float | None) -> float | None:
    """Negative speed, heading or accuracy is how iOS says 'unknown'."""
    return value if value is not None and value >= 0 else None


def parse_timestamp(value: Any) -> int | None:
    """Unix seconds, unix milliseconds (integers or decimals) or ISO 8601 text → epoch ms; None when absent."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if (isinstance(value, (int, float)) and not isinstance(value, bool)) or _is_decimal(text):
        number = _number("timestamp", value)
        ms = round(number * 1000) if number < SECONDS_LIMIT else round(number)
        if not 0 <= ms <= MAX_MS:
            raise OsmandError("timestamp", "out of range")
        return ms
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise OsmandError("timestamp", "neither unix seconds, unix milliseconds nor ISO 8601") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    ms = round(moment.timestamp() * 1000)
    if not 0 <= ms <= MAX_MS:
        raise OsmandError("timestamp", "out of range")
    return ms


def _is_decimal(text: str) -> bool:
    whole, _, fraction = text.partition(".")
    return whole.isascii() and whole.isdigit() and (not fraction or (fraction.isascii() and fraction.isdigit()))


def _coordinates(lat: Any, lon: Any) -> tuple[float, float] | None:
    """Checked latitude and longitude; None when the request carries no position (or 0,0)."""
    if (lat is None or lat == "") and (lon is None or lon == ""):
        return None
    if lat is None or lat == "" or lon is None or lon == "":
        raise OsmandError("lat" if lat in (None, "") else "lon", "missing")
    latitude, longitude = _number("lat", lat), _number("lon", lon)
    if not -90 <= latitude <= 90:
        raise OsmandError("lat", "out of range -90..90")
    if not -180 <= longitude <= 180:
        raise OsmandError("lon", "out of range -180..180")
    return None if latitude == 0 and longitude == 0 else (latitude, longitude)


def _fix(position: tuple[float, float], ts_ms: int | None, values: Mapping[str, Any]) -> OsmandFix:
    accuracy = _known(_optional("accuracy", values.get("accuracy")))
    heading = _known(_optional("heading", values.get("heading")))
    battery = _optional("batt", values.get("batt"))
    if battery is not None and not 0 <= battery <= 100:
        raise OsmandError("batt", "out of range 0..100")
    return OsmandFix(
        lat=position[0],
        lon=position[1],
        ts_ms=ts_ms,
        accuracy_m=UNKNOWN_ACCURACY_M if accuracy is None else accuracy,
        speed_mps=_known(values.get("speed_mps")),
        heading=None if heading is None else heading % 360,
        altitude_m=_optional("altitude", values.get("altitude")),
        battery_pct=battery,
    )


def parse_params(params: Mapping[str, str]) -> OsmandRequest:
    """Query parameters and form fields (already merged) → the key and the fix, if any."""
    key = params.get("id") or params.get("deviceid") or ""
    if params.get("valid", "").lower() in ("false", "0"):
        return OsmandRequest(key, None)
    lat, lon = params.get("lat"), params.get("lon")
    location = params.get("location")
    if location:
        parts = location.split(",")
        if len(parts) != 2:
            raise OsmandError("location", "expected lat,lon")
        lat, lon = parts
    position = _coordinates(lat, lon)
    if position is None:
        return OsmandRequest(key, None)
    knots = _optional("speed", params.get("speed"))
    values: dict[str, Any] = {
        "accuracy": params.get("accuracy"),
        "heading": params.get("heading") or params.get("bearing"),
        "altitude": params.get("altitude"),
        "batt": params.get("batt"),
        "speed_mps": None if knots is None else knots * KNOT_MPS,
    }
    return OsmandRequest(key, _fix(position, parse_timestamp(params.get("timestamp")), values))


def _object(field: str, value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise OsmandError(field, "not an object")
    return value


def parse_json(body: bytes) -> OsmandRequest:
    """Traccar Client's JSON body → the key and the fix, if any (speed there is already m/s)."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise OsmandError("body", "not valid JSON") from None
    root = _object("body", document)
    key = root.get("device_id")
    if key is not None and not isinstance(key, str):
        raise OsmandError("device_id", "not a string")
    location = _object("location", root.get("location"))
    coords = _object("location.coords", location.get("coords"))
    position = _coordinates(coords.get("latitude"), coords.get("longitude"))
    if position is None:
        return OsmandRequest(key or "", None)
    level = _optional("battery.level", _object("location.battery", location.get("battery")).get("level"))
    values: dict[str, Any] = {
        "accuracy": coords.get("accuracy"),
        "heading": coords.get("heading"),
        "altitude": coords.get("altitude"),
        "batt": None if level is None or level < 0 else level * 100,
        "speed_mps": _optional("speed", coords.get("speed")),
    }
    return OsmandRequest(key or "", _fix(position, parse_timestamp(location.get("timestamp")), values))
