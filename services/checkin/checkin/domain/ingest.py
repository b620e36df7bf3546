"""Pure rules of the ingestion paths: one-pass validation of GPS points and retail scans, the
hour bucket of a device time, the tracking-gap rule. No I/O and no clock (callers pass `now_ms`).

Hot path (50k points/s on 2 shared cores): plain floats and dicts, one pass per batch, the
first failing check names the reason, accepted items are built once in their event form.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from baifang_common.errors import InvalidArgument
from baifang_common.timeutil import parse_ts
from checkin.domain.model import GapRule, IngestLimits, LatestFix, RejectReason, TypedPoint, TypedScan, Validated

HOUR_MS = 3_600_000
# GEOADD refuses latitudes beyond the Web-Mercator limit; such a point is stored but not indexed.
GEO_MAX_LAT = 85.05112878

_NUMBER = (float, int)  # `type(x) in _NUMBER` also refuses bools, which JSON decoding gives as bool
_KINDS = frozenset(("sale", "purchase"))
_MAX_CODE_CHARS = 512
_MAX_SKU_CHARS = 64
_fromisoformat = datetime.fromisoformat
_fromtimestamp = datetime.fromtimestamp

_COORDINATES = RejectReason.INVALID_COORDINATES.value
_ACCURACY = RejectReason.INVALID_ACCURACY.value
_SPEED = RejectReason.INVALID_SPEED.value
_HEADING = RejectReason.INVALID_HEADING.value
_TIMESTAMP = RejectReason.INVALID_TIMESTAMP.value
_FUTURE = RejectReason.TIMESTAMP_IN_FUTURE.value
_OLD = RejectReason.TIMESTAMP_TOO_OLD.value
_DUPLICATE = RejectReason.DUPLICATE.value
_CODE = RejectReason.INVALID_CODE.value
_QTY = RejectReason.INVALID_QTY.value
_PRICE = RejectReason.INVALID_PRICE.value
_KIND = RejectReason.INVALID_KIND.value


def ms_of_iso(value: Any) -> int | None:
    """Epoch milliseconds of an ISO 8601 time with offset; None when unparseable or naive.

    The form iso_of_ms writes (`YYYY-MM-DDTHH:MM:SS.mmmZ`, every protobuf point in an event) takes
    a shortcut through a cache of minutes: the sink parses ~50k of these a second.
    """
    if type(value) is not str:
        return None
    if len(value) == 24 and value[23] == "Z" and value[19] == "." and value[16] == ":":
        seconds, millis = value[17:19], value[20:23]
        minute = _minute_ms(value[:17]) if seconds.isdigit() and millis.isdigit() and seconds < "60" else None
        if minute is not None:
            return minute + int(seconds) * 1000 + int(millis)
    try:
        return round(parse_ts(value, "ts").timestamp() * 1000)
    except (InvalidArgument, OverflowError):
        return None


_MINUTE_PREFIXES: dict[int, str] = {}
_MINUTE_MS: dict[str, int | None] = {}  # the same minutes the other way round, for ms_of_iso


def _minute_ms(prefix: str) -> int | None:
    """Epoch ms of a UTC minute written `YYYY-MM-DDTHH:MM:` (None when it is not a time), memoised."""
    if prefix in _MINUTE_MS:
        return _MINUTE_MS[prefix]
    if len(_MINUTE_MS) > 10_000:
        _MINUTE_MS.clear()
    try:
        minute: int | None = round(_fromisoformat(prefix + "00+00:00").timestamp() * 1000)
    except (ValueError, OverflowError):
        minute = None
    _MINUTE_MS[prefix] = minute
    return minute


def iso_of_ms(ms: int) -> str:
    """UTC ISO text with milliseconds, `...T01:02:03.456Z` (how protobuf times travel in events).

    datetime.isoformat costs ~2 µs a point; the minute prefix is memoised (points of a batch
    share a few minutes), the rest is integer formatting.
    """
    minute, rest = divmod(ms, 60_000)
    prefix = _MINUTE_PREFIXES.get(minute)
    if prefix is None:
        if len(_MINUTE_PREFIXES) > 10_000:
            _MINUTE_PREFIXES.clear()
        prefix = _MINUTE_PREFIXES[minute] = _fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%dT%H:%M:")
    seconds, millis = divmod(rest, 1000)
    return f"{prefix}{seconds:02d}.{millis:03d}Z"


def _window(now_ms: int, limits: IngestLimits) -> tuple[int, int]:
    return now_ms - int(limits.max_age_s * 1000), now_ms + int(limits.max_future_s * 1000)


def _point_reason(lat: Any, lon: Any, accuracy: Any, speed: Any, heading: Any, limits: IngestLimits) -> str | None:
    """The first failing check of a point's values (NaN and infinities fail the range checks)."""
    if not (
        type(lat) in _NUMBER
        and type(lon) in _NUMBER
        and -90.0 <= lat <= 90.0
        and -180.0 <= lon <= 180.0
        and (lat != 0 or lon != 0)
    ):
        return _COORDINATES
    if not (type(accuracy) in _NUMBER and 0.0 <= accuracy <= limits.max_accuracy_m):
        return _ACCURACY
    if speed is not None and not (type(speed) in _NUMBER and 0.0 <= speed <= limits.max_speed_mps):
        return _SPEED
    if heading is not None and not (type(heading) in _NUMBER and 0.0 <= heading <= 360.0):
        return _HEADING
    return None


def validate_json_points(points: list[Any], *, now_ms: int, limits: IngestLimits) -> Validated:
    """Decoded JSON points → accepted points (client `ts` text kept) and refusals by index. A good point's
    checks (ms_of_iso too) are inlined, per-point calls were a third of the cost; a refusal names its reason."""
    items: list[dict[str, Any]] = []
    rejected: list[tuple[int, str]] = []
    seen: set[int] = set()
    oldest, newest = _window(now_ms, limits)
    max_accuracy, max_speed = limits.max_accuracy_m, limits.max_speed_mps
    for index, point in enumerate(points):
        if type(point) is not dict:
            rejected.append((index, _COORDINATES))
            continue
        get: Callable[[str], Any] = point.get
        lat, lon, accuracy, speed, heading = get("lat"), get("lon"), get("accuracy_m"), get("speed_mps"), get("heading")
        if (
            type(lat) in _NUMBER
            and type(lon) in _NUMBER
            and -90.0 <= lat <= 90.0
            and -180.0 <= lon <= 180.0
            and (lat or lon)
            and type(accuracy) in _NUMBER
            and 0.0 <= accuracy <= max_accuracy
            and (speed is None or (type(speed) in _NUMBER and 0.0 <= speed <= max_speed))
            and (heading is None or (type(heading) in _NUMBER and 0.0 <= heading <= 360.0))
        ):
            ts = get("ts")
            ms = None
            if type(ts) is str:
                try:
                    moment = _fromisoformat(ts)
                    if moment.tzinfo is not None:
                        ms = round(moment.timestamp() * 1000)
                except (ValueError, OverflowError):
                    pass
            if ms is not None and oldest <= ms <= newest and ms not in seen:
                seen.add(ms)
                item = {"lat": lat, "lon": lon, "accuracy_m": accuracy, "ts": ts}
                if speed is not None:
                    item["speed_mps"] = speed
                if heading is not None:
                    item["heading"] = heading
                items.append(item)
                continue
            reason = _time_reason(ms, oldest, newest, seen)
        else:
            reason = _point_reason(lat, lon, accuracy, speed, heading, limits)
        rejected.append((index, reason or _COORDINATES))
    return Validated(items, rejected)


def validate_typed_points(points: Sequence[TypedPoint], *, now_ms: int, limits: IngestLimits) -> Validated:
    """Points of a protobuf body (typed by the decoder) → accepted points and refusals by index."""
    items: list[dict[str, Any]] = []
    rejected: list[tuple[int, str]] = []
    seen: set[int] = set()
    oldest, newest = _window(now_ms, limits)
    max_accuracy, max_speed = limits.max_accuracy_m, limits.max_speed_mps
    for index, (lat, lon, accuracy, speed, heading, ms) in enumerate(points):
        if (
            -90.0 <= lat <= 90.0
            and -180.0 <= lon <= 180.0
            and (lat or lon)
            and 0.0 <= accuracy <= max_accuracy
            and (speed is None or 0.0 <= speed <= max_speed)
            and (heading is None or 0.0 <= heading <= 360.0)
        ):
            if ms is not None and oldest <= ms <= newest and ms not in seen:
                seen.add(ms)
                item = {"lat": lat, "lon": lon, "accuracy_m": accuracy, "ts": iso_of_ms(ms)}
                if speed is not None:
                    item["speed_mps"] = speed
                if heading is not None:
                    item["heading"] = heading
                items.append(item)
                continue
            reason = _time_reason(ms, oldest, newest, seen)
        else:
            reason = _point_reason(lat, lon, accuracy, speed, heading, limits)
        rejected.append((index, reason or _COORDINATES))
    return Validated(items, rejected)


def _time_reason(ms: int | None, oldest: int, newest: int, seen: set[Any], identity: Any = None) -> str | None:
    """Timestamp checks, then the duplicate check (same instant, or same identity for scans)."""
    if ms is None:
        return _TIMESTAMP
    if ms > newest:
        return _FUTURE
    if ms < oldest:
        return _OLD
    key = ms if identity is None else (identity, ms)
    if key in seen:
        return _DUPLICATE
    seen.add(key)
    return None


def _scan_reason(code: Any, sku: Any, qty: Any, price: Any, kind: Any, limits: IngestLimits) -> str | None:
    if not (
        type(code) is str and 0 < len(code) <= _MAX_CODE_CHARS and type(sku) is str and 0 < len(sku) <= _MAX_SKU_CHARS
    ):
        return _CODE
    if not (type(qty) is int and 0 < qty <= limits.max_qty):
        return _QTY
    if not (type(price) in _NUMBER and 0.0 <= price <= limits.max_unit_price):
        return _PRICE
    if kind not in _KINDS:
        return _KIND
    return None


def validate_json_scans(scans: list[Any], *, now_ms: int, limits: IngestLimits) -> Validated:
    """Decoded JSON scans → accepted scans and refusals; a scan is (code, ts) — repeats are duplicates."""
    items: list[dict[str, Any]] = []
    rejected: list[tuple[int, str]] = []
    seen: set[Any] = set()
    oldest, newest = _window(now_ms, limits)
    for index, scan in enumerate(scans):
        if type(scan) is not dict:
            rejected.append((index, _CODE))
            continue
        code, sku, qty, price, kind = (scan.get(k) for k in ("code", "sku", "qty", "unit_price", "kind"))
        reason = _scan_reason(code, sku, qty, price, kind, limits)
        if reason is None:
            ts = scan.get("ts")
            reason = _time_reason(ms_of_iso(ts), oldest, newest, seen, code)
            if reason is None:
                items.append({"code": code, "sku": sku, "qty": qty, "unit_price": price, "kind": kind, "ts": ts})
                continue
        rejected.append((index, reason))
    return Validated(items, rejected)


def validate_typed_scans(scans: Sequence[TypedScan], *, now_ms: int, limits: IngestLimits) -> Validated:
    """Scans of a protobuf body (typed by the decoder) → accepted scans and refusals by index."""
    items: list[dict[str, Any]] = []
    rejected: list[tuple[int, str]] = []
    seen: set[Any] = set()
    oldest, newest = _window(now_ms, limits)
    for index, (code, sku, qty, price, kind, ms) in enumerate(scans):
        reason = _scan_reason(code, sku, qty, price, kind, limits)
        if reason is None:
            reason = _time_reason(ms, oldest, newest, seen, code)
            if reason is None and ms is not None:
                items.append(
                    {"code": code, "sku": sku, "qty": qty, "unit_price": price, "kind": kind, "ts": iso_of_ms(ms)}
                )
                continue
        rejected.append((index, reason or _TIMESTAMP))
    return Validated(items, rejected)


# --- buckets ------------------------------------------------------------------------


def hour_of(ms: int) -> int:
    """The UTC hour (hours since the epoch) a device time falls in: the bucket of the point."""
    return ms // HOUR_MS


def hour_start(hour: int) -> datetime:
    return _fromtimestamp(hour * 3600, UTC)


def bucket_id(owner_id: str, hour: int) -> str:
    """`<owner>:<YYYYMMDDHH>` (UTC hour of the device time); owner = manager or customer."""
    return f"{owner_id}:{hour_start(hour).strftime('%Y%m%d%H')}"


def local_date_of_hour(hour: int, timezone: str) -> str:
    """Company-local date of the hour's start (the day reports file the bucket under)."""
    return hour_start(hour).astimezone(ZoneInfo(timezone)).date().isoformat()


def newest_usable(rows: Sequence[Sequence[Any]], max_accuracy_m: float) -> LatestFix | None:
    """The newest point good enough to be the manager's last fix (the check-in's rule: a real
    fix no vaguer than the check-in accuracy limit) and to be placed on the live map.
    Rows are (t, lat, lon, accuracy, ...), as the track chunks store them."""
    best: Sequence[Any] | None = None
    for row in rows:
        ms, lat, accuracy = row[0], row[1], row[3]
        if 0.0 < accuracy <= max_accuracy_m and -GEO_MAX_LAT <= lat <= GEO_MAX_LAT and (best is None or ms > best[0]):
            best = row
    if best is None:
        return None
    speed = best[4] if len(best) > 4 and best[4] is not None else None
    return LatestFix(lat=float(best[1]), lon=float(best[2]), ms=best[0], accuracy_m=float(best[3]), speed_mps=speed)


def tracking_gaps(times_ms: Sequence[int], *, previous_ms: int | None, rule: GapRule) -> list[tuple[int, int]]:
    """(start, end) of consecutive fixes more than the rule's minutes apart, both inside the
    working day of the same company-local date. `times_ms` ascending; `previous_ms` is the
    manager's fix before them (ignored when it is not older than the first of them)."""
    if not times_ms:
        return []
    sequence = list(times_ms)
    if previous_ms is not None and previous_ms < sequence[0]:
        sequence.insert(0, previous_ms)
    gap_ms = rule.gap_minutes * 60_000
    zone = ZoneInfo(rule.timezone)
    gaps = []
    for start, end in itertools.pairwise(sequence):
        if end - start <= gap_ms:
            continue
        local_start = _fromtimestamp(start / 1000, zone)
        local_end = _fromtimestamp(end / 1000, zone)
        if (
            local_start.date() == local_end.date()
            and rule.work_start <= local_start.time() <= rule.work_end
            and rule.work_start <= local_end.time() <= rule.work_end
        ):
            gaps.append((start, end))
    return gaps


def local_date_of_ms(ms: int, timezone: str) -> str:
    return _fromtimestamp(ms / 1000, ZoneInfo(timezone)).date().isoformat()
