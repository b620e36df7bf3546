"""Pure rules of the supervisor views of a day's track: simplification, distance, stops, staleness.

No I/O: the use cases hand in the merged points (device-time order, one per timestamp), the
check-ins and the tracking gaps, and get plain values back. Geometry works on a local
equirectangular projection (metres east and north of the day's first point): at a city's scale
its error is far below GPS accuracy, and it is several times cheaper than haversine per pair,
which matters on a day of 8,000 fixes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from checkin.domain.rules import EARTH_RADIUS_M


class TrackFix(NamedTuple):
    """One stored fix: epoch ms of device time, position, accuracy (m), speed (m/s) or None.
    A tuple: a day holds thousands, and a frozen dataclass costs several times more to build."""

    ms: int
    lat: float
    lon: float
    accuracy_m: float
    speed_mps: float | None = None


@dataclass(frozen=True)
class ViewRules:
    """The thresholds of the views (docs/domain.md, supervisor views); values from CheckinSettings."""

    max_speed_mps: float = 120 / 3.6  # faster than this between two fixes: an impossible jump
    stop_min_s: float = 300.0  # a stop lasts longer than 5 minutes
    stop_radius_m: float = 50.0  # every fix of a stop lies within this of where it began
    stale_after_s: float = 900.0  # no fix for 15 minutes of working time
    work_start: time = time(8, 0)
    work_end: time = time(19, 0)
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True)
class Stop:
    """A stay of more than `stop_min_s` within `stop_radius_m`: where (the mean of its fixes) and when."""

    lat: float
    lon: float
    start_ms: int
    end_ms: int
    points: int

    @property
    def duration_s(self) -> float:
        return (self.end_ms - self.start_ms) / 1000


@dataclass(frozen=True)
class Travel:
    """Distance travelled and the impossible jumps left out of it (index of the fix jumped to:
    a glitch, or where the manager turned up)."""

    distance_m: float
    jumps: list[int] = field(default_factory=list)


class Projection:
    """Metres east (x) and north (y) of an origin, on the sphere of EARTH_RADIUS_M."""

    def __init__(self, lat0: float, lon0: float) -> None:
        self.lat0 = lat0
        self.lon0 = lon0
        self.ky = math.pi * EARTH_RADIUS_M / 180
        self.kx = self.ky * math.cos(math.radians(lat0))

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return (lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky


def _projected(points: Sequence[TrackFix]) -> tuple[list[float], list[float]]:
    if not points:
        return [], []
    projection = Projection(points[0].lat, points[0].lon)
    kx, ky, lat0, lon0 = projection.kx, projection.ky, projection.lat0, projection.lon0
    return [(p.lon - lon0) * kx for p in points], [(p.lat - lat0) * ky for p in points]


def segment_distance(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    """Distance of P from the segment AB (planar, metres)."""
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    if length2 == 0.0:
        return math.hypot(px - ax, py - ay)
    t = ((px - ax) * dx + (py - ay) * dy) / length2
    t = 0.0 if t < 0.0 else 1.0 if t > 1.0 else t
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def simplify(points: Sequence[TrackFix], tolerance_m: float) -> list[int]:
    """Douglas–Peucker: indexes of the fixes kept, in order. Every dropped fix lies within
    `tolerance_m` of the kept polyline; the first and last fix are always kept."""
    n = len(points)
    if n <= 2 or tolerance_m <= 0:
        return list(range(n))
    xs, ys = _projected(points)
    keep = [False] * n
    keep[0] = keep[n - 1] = True
    stack = [(0, n - 1)]
    while stack:
        first, last = stack.pop()
        ax, ay, bx, by = xs[first], ys[first], xs[last], ys[last]
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        worst, worst_at = -1.0, -1
        for i in range(first + 1, last):
            px, py = xs[i] - ax, ys[i] - ay
            if length2 == 0.0:
                d2 = px * px + py * py
            else:
                t = (px * dx + py * dy) / length2
                t = 0.0 if t < 0.0 else 1.0 if t > 1.0 else t
                ex, ey = px - t * dx, py - t * dy
                d2 = ex * ex + ey * ey
            if d2 > worst:
                worst, worst_at = d2, i
        if worst_at >= 0 and worst > tolerance_m * tolerance_m:
            keep[worst_at] = True
            stack.append((first, worst_at))
            stack.append((worst_at, last))
    return [i for i in range(n) if keep[i]]


def travel(points: Sequence[TrackFix], max_speed_mps: float) -> Travel:
    """Distance along the fixes, leaving out impossible jumps.

    A fix reached from the last accepted fix faster than `max_speed_mps` is held back: if the
    next fix is plausible from the held one and not from the last accepted, the manager really
    is there (the jump is left out, travel continues from there); otherwise the held fix was a
    glitch and is skipped. Two fixes at the same instant count as one second apart.
    """
    if len(points) < 2:
        return Travel(0.0)
    xs, ys = _projected(points)
    ms = [p.ms for p in points]

    def fast(a: int, b: int) -> tuple[float, bool]:
        d = math.hypot(xs[b] - xs[a], ys[b] - ys[a])
        return d, d / max((ms[b] - ms[a]) / 1000, 1.0) > max_speed_mps

    total, anchor, held = 0.0, 0, -1
    jumps: list[int] = []
    for i in range(1, len(points)):
        d, impossible = fast(anchor, i)
        if held >= 0:
            d_held, from_held_impossible = fast(held, i)
            if impossible and not from_held_impossible:
                jumps.append(held)
                total += d_held
                anchor, held = i, -1
                continue
            jumps.append(held)  # the held fix was a glitch
            held = -1
        if impossible:
            held = i
            continue
        total += d
        anchor = i
    if held >= 0:
        jumps.append(held)
    return Travel(total, jumps)


def stops(points: Sequence[TrackFix], min_s: float, radius_m: float) -> list[Stop]:
    """Stays longer than `min_s` whose fixes all lie within `radius_m` of the stay's first fix.

    The first fix more than `min_s` after a candidate start must lie within the radius, so a
    moving manager costs one distance per fix; only a possible stay is scanned fix by fix."""
    found: list[Stop] = []
    xs, ys = _projected(points)
    ms = [p.ms for p in points]
    n, start, beyond = len(points), 0, 0
    limit, min_ms = radius_m * radius_m, min_s * 1000
    while start < n:
        beyond = max(beyond, start + 1)
        while beyond < n and ms[beyond] - ms[start] <= min_ms:
            beyond += 1
        if beyond >= n:
            break  # nothing more than `min_s` later: no stay can start here or after
        x0, y0 = xs[start], ys[start]
        dx, dy = xs[beyond] - x0, ys[beyond] - y0
        if dx * dx + dy * dy > limit:
            start += 1
            continue
        end = start + 1
        while end < n:
            dx, dy = xs[end] - x0, ys[end] - y0
            if dx * dx + dy * dy > limit:
                break
            end += 1
        last = end - 1
        if ms[last] - ms[start] > min_ms:
            stay = points[start:end]
            found.append(
                Stop(
                    lat=sum(p.lat for p in stay) / len(stay),
                    lon=sum(p.lon for p in stay) / len(stay),
                    start_ms=ms[start],
                    end_ms=ms[last],
                    points=len(stay),
                )
            )
            start = end
        else:
            start += 1
    return found


def day_bounds_ms(date: str, timezone: str) -> tuple[int, int]:
    """[start, end) of a company-local date in epoch ms."""
    zone = ZoneInfo(timezone)
    start = datetime.fromisoformat(date).replace(tzinfo=zone)
    end = (start + timedelta(days=1)).replace(tzinfo=zone)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def working_seconds_since(fix_ms: int, now_ms: int, rules: ViewRules) -> float:
    """Working time (today's working hours, company time) between a fix and now."""
    zone = ZoneInfo(rules.timezone)
    now = datetime.fromtimestamp(now_ms / 1000, zone)
    work_start = datetime.combine(now.date(), rules.work_start, zone)
    work_end = datetime.combine(now.date(), rules.work_end, zone)
    since = max(datetime.fromtimestamp(fix_ms / 1000, zone), work_start)
    until = min(now, work_end)
    return max(0.0, (until - since).total_seconds())


def is_stale(fix_ms: int | None, now_ms: int, rules: ViewRules) -> bool:
    """No fix for more than `stale_after_s` of working time (never stale outside working hours)."""
    if fix_ms is None:
        return working_seconds_since(0, now_ms, rules) > rules.stale_after_s
    return working_seconds_since(fix_ms, now_ms, rules) > rules.stale_after_s
