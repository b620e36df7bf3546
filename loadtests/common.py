"""Helpers shared by the locust scenarios and the ingestion benchmark.

Everything here is plain data or pure computation, usable from gevent (locust) and
asyncio (bench_ingest.py) alike: demo accounts, request bodies, op ids, and a GPS
device that walks about a city at a believable speed. docs/api.md is the contract.
"""

from __future__ import annotations

import math
import os
import random
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson

API = "/api/v1"
BASE_URL = os.environ.get("BAIFANG_URL", "http://127.0.0.1:8080").rstrip("/")
DEMO_PASSWORD = os.environ.get("BAIFANG_DEMO_PASSWORD", "baifang-demo")
TZ = ZoneInfo(os.environ.get("BAIFANG_TIMEZONE", "Asia/Shanghai"))

ADMIN = "admin"
MANAGER_COUNT = int(os.environ.get("BAIFANG_DEMO_MANAGERS", "50"))
MANAGERS: tuple[str, ...] = tuple(f"m{n:03d}" for n in range(1, MANAGER_COUNT + 1))

MAX_TRACK_POINTS = 1000  # docs/api.md: POST /tracks takes up to 1000 points
CITY_CENTER = (31.82, 117.23)  # the demo city; only a fallback when a plan is empty
M_PER_DEG_LAT = 111_320.0

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
PROTOBUF_TYPE = "application/x-protobuf"

# 409 codes that describe the state of the plan, not a fault of the system: another tablet of
# the same account got there first, or the outlet is not (or no longer) on today's list.
EXPECTED_CONFLICTS = frozenset({"customer_not_in_plan", "visit_closed", "already_checked_in", "already_completed"})


def new_op_id() -> str:
    """A client write id (docs/api.md: writes carry op_id, a client UUID)."""
    return str(uuid.uuid4())


def iso(ts: float | None = None) -> str:
    """ISO 8601 with the company offset and milliseconds (the store keeps milliseconds)."""
    moment = datetime.fromtimestamp(time.time() if ts is None else ts, TZ)
    return moment.isoformat(timespec="milliseconds")


def iso_from(moment: datetime, delta_ms: int = 0) -> str:
    return (moment + timedelta(milliseconds=delta_ms)).isoformat(timespec="milliseconds")


def auth_headers(token: str) -> dict[str, str]:
    return {**JSON_HEADERS, "Authorization": f"Bearer {token}"}


def login_body(username: str, *, remember: bool = False) -> bytes:
    return orjson.dumps({"username": username, "password": DEMO_PASSWORD, "remember": remember})


def manager_for(n: int) -> str:
    """The demo manager of the n-th simulated tablet: its own with the peak seed (BAIFANG_DEMO_MANAGERS
    2000), else spread evenly over the managers there are (m001..m050 of the default seed)."""
    return MANAGERS[n % len(MANAGERS)]


def error_code(body: bytes | str | None) -> str | None:
    """The `error.code` of an API error body, or None when the body is not one."""
    if not body:
        return None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    err = data.get("error") if isinstance(data, dict) else None
    if isinstance(err, dict):
        code = err.get("code")
        return code if isinstance(code, str) else None
    return err if isinstance(err, str) else None


# --- geometry ---------------------------------------------------------------------------------


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance, good to a fraction of a percent over a city."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return math.hypot(x, y) * 6_371_000.0


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    x = (lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return math.degrees(math.atan2(x, lat2 - lat1)) % 360.0


def move(lat: float, lon: float, heading: float, metres: float) -> tuple[float, float]:
    rad = math.radians(heading)
    dlat = metres * math.cos(rad) / M_PER_DEG_LAT
    dlon = metres * math.sin(rad) / (M_PER_DEG_LAT * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


def jitter(lat: float, lon: float, max_m: float, rng: random.Random) -> tuple[float, float]:
    """A point within max_m of (lat, lon): where a tablet's fix lands when standing at the outlet."""
    return move(lat, lon, rng.uniform(0, 360), max_m * math.sqrt(rng.random()))


def location_of(customer: Mapping[str, Any]) -> tuple[float, float]:
    loc = customer.get("location") or {}
    return float(loc.get("lat", CITY_CENTER[0])), float(loc.get("lon", CITY_CENTER[1]))


# --- GPS --------------------------------------------------------------------------------------


class GpsWalk:
    """One tablet's GPS: rides toward a target outlet (e-bike speed), or wanders near it on foot.

    Fixes are taken every `fix_seconds` of wall time and generated lazily when the tablet
    sends them (`fixes_until`), so a buffer of "points since the last send" costs nothing
    while it waits.
    """

    RIDE_MPS = (4.5, 1.2)  # mean, sd: an electric bicycle in town
    WALK_MPS = (0.7, 0.4)
    ARRIVED_M = 30.0
    WANDER_M = 60.0

    def __init__(
        self, lat: float, lon: float, rng: random.Random, *, fix_seconds: float = 2.0, now: float | None = None
    ) -> None:
        self.lat, self.lon = lat, lon
        self.rng = rng
        self.fix_seconds = fix_seconds
        self.heading = rng.uniform(0, 360)
        self.speed = 0.0
        self.target = (lat, lon)
        self.last_fix = time.time() if now is None else now

    def head_to(self, lat: float, lon: float) -> None:
        self.target = (lat, lon)

    def jump_to(self, lat: float, lon: float) -> None:
        self.lat, self.lon = lat, lon
        self.target = (lat, lon)

    def step(self, dt: float) -> None:
        tlat, tlon = self.target
        away = distance_m(self.lat, self.lon, tlat, tlon)
        rng = self.rng
        if away > self.ARRIVED_M and away > self.WANDER_M / 2:
            self.speed = min(max(rng.gauss(*self.RIDE_MPS), 1.0), 9.0)
            self.heading = (bearing_deg(self.lat, self.lon, tlat, tlon) + rng.gauss(0, 12)) % 360
            metres = min(self.speed * dt, away)
        else:
            self.speed = min(max(rng.gauss(*self.WALK_MPS), 0.0), 1.6)
            if away > self.WANDER_M / 2:  # drifted off: turn back toward the outlet
                self.heading = bearing_deg(self.lat, self.lon, tlat, tlon)
            else:
                self.heading = (self.heading + rng.gauss(0, 45)) % 360
            metres = self.speed * dt
        self.lat, self.lon = move(self.lat, self.lon, self.heading, metres)

    def fix(self, ts: str) -> dict[str, Any]:
        """The current position as a POST /tracks point taken at `ts` (ISO 8601)."""
        return {
            "lat": round(self.lat, 6),
            "lon": round(self.lon, 6),
            "accuracy_m": round(self.rng.uniform(3.0, 20.0), 1),
            "speed_mps": round(self.speed, 2),
            "heading": round(self.heading, 1),
            "ts": ts,
        }

    def fixes_until(self, now: float | None = None, limit: int = MAX_TRACK_POINTS) -> list[dict[str, Any]]:
        """The fixes taken since the previous call (oldest first, at most `limit`, the newest kept)."""
        now = time.time() if now is None else now
        points: list[dict[str, Any]] = []
        while self.last_fix + self.fix_seconds <= now:
            self.last_fix += self.fix_seconds
            self.step(self.fix_seconds)
            points.append(self.fix(iso(self.last_fix)))
        return points[-limit:]


def make_track_points(
    count: int, rng: random.Random, start: datetime, *, step_ms: int = 1, origin: tuple[float, float] | None = None
) -> list[dict[str, Any]]:
    """`count` fixes of one walk with timestamps `step_ms` apart from `start` (unique per manager)."""
    lat, lon = origin or jitter(*CITY_CENTER, 10_000.0, rng)
    walk = GpsWalk(lat, lon, rng)
    walk.head_to(*jitter(lat, lon, 2_000.0, rng))
    points = []
    for i in range(count):
        walk.step(1.0)
        points.append(walk.fix(iso_from(start, i * step_ms)))
    return points


# --- request bodies ---------------------------------------------------------------------------


def checkin_body(qr: str, lat: float, lon: float, rng: random.Random, *, op_id: str | None = None) -> dict[str, Any]:
    """POST /checkins standing at the outlet: a fix within 15 m and a plausible accuracy."""
    flat, flon = jitter(lat, lon, 15.0, rng)
    return {
        "op_id": op_id or new_op_id(),
        "qr": qr,
        "lat": round(flat, 6),
        "lon": round(flon, 6),
        "accuracy_m": round(rng.uniform(4.0, 15.0), 1),
        "client_ts": iso(),
    }


def write_body(**fields: Any) -> dict[str, Any]:
    """A plain write (task or visit completion): op_id and client_ts plus the given fields."""
    return {"op_id": new_op_id(), "client_ts": iso(), **fields}


def sync_op(kind: str, payload: Mapping[str, Any], client_ts: str, op_id: str | None = None) -> dict[str, Any]:
    """One operation of a POST /sync batch (types checkin, task.complete, visit.complete)."""
    return {"op_id": op_id or new_op_id(), "type": kind, "payload": dict(payload), "client_ts": client_ts}


def offline_visit_ops(
    visit_id: str,
    qr: str,
    location: tuple[float, float],
    task_ids: Iterable[str],
    rng: random.Random,
    *,
    started: float | None = None,
) -> list[dict[str, Any]]:
    """The ops a tablet queues while offline at one outlet: check-in, basic tasks, completion.

    Client times are spread over the minutes before now, as the work was done.
    """
    t = (time.time() - 8 * 60) if started is None else started
    lat, lon = jitter(*location, 15.0, rng)
    payload = {"qr": qr, "lat": round(lat, 6), "lon": round(lon, 6), "accuracy_m": round(rng.uniform(4.0, 15.0), 1)}
    return [sync_op("checkin", payload, iso(t)), *offline_completion_ops(visit_id, task_ids, rng, started=t)]


def offline_completion_ops(
    visit_id: str, task_ids: Iterable[str], rng: random.Random, *, started: float | None = None
) -> list[dict[str, Any]]:
    """The rest of a visit done offline after an online check-in: basic tasks, then completion."""
    t = (time.time() - 4 * 60) if started is None else started
    ops = []
    for task_id in task_ids:
        t += rng.uniform(30, 60)
        ops.append(sync_op("task.complete", {"visit_id": visit_id, "task_id": task_id, "note": ""}, iso(t)))
    t += rng.uniform(10, 30)
    ops.append(sync_op("visit.complete", {"visit_id": visit_id, "summary": "离线完成"}, iso(t)))
    return ops


def basic_open_tasks(visit_detail: Mapping[str, Any]) -> list[str]:
    """Task ids a tablet can tick: open tasks of kind `basic` (collection tasks need their forms)."""
    return [
        t["task_id"]
        for t in visit_detail.get("tasks", [])
        if t.get("status", "open") == "open" and str(t.get("kind", "basic")) == "basic"
    ]


def workable(visit: Mapping[str, Any]) -> bool:
    """A visit of today's list a tablet can still check in at (missed is final)."""
    return visit.get("status") != "missed"
