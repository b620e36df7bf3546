"""Suggested visit order (§1.2 route query): nearest neighbour, then 2-opt, on great-circle distances.

Pure: the caller gives the start and the stops; the answer is an open path from the start through
every stop once (the manager does not return to the start).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8  # WGS-84 mean radius


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float


@dataclass(frozen=True)
class RoutePlan:
    """`order` indexes the stops as given; `legs[i]` is the distance into stop order[i], in metres."""

    order: tuple[int, ...]
    legs: tuple[float, ...]

    @property
    def total_m(self) -> float:
        return sum(self.legs)


def great_circle_m(a: Point, b: Point) -> float:
    """Haversine distance in metres."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def distances(points: Sequence[Point]) -> list[list[float]]:
    return [[great_circle_m(a, b) for b in points] for a in points]


def path_length(path: Sequence[int], dist: Sequence[Sequence[float]]) -> float:
    return sum(dist[a][b] for a, b in itertools.pairwise(path))


def nearest_neighbour(dist: Sequence[Sequence[float]]) -> list[int]:
    """From node 0 always to the closest node not yet visited (ties: the lower index, so deterministic)."""
    path, left = [0], set(range(1, len(dist)))
    while left:
        here = path[-1]
        nxt = min(left, key=lambda j: (dist[here][j], j))
        path.append(nxt)
        left.remove(nxt)
    return path


def two_opt(path: list[int], dist: Sequence[Sequence[float]]) -> list[int]:
    """Reverse segments while that shortens the open path; node 0 (the start) stays first."""
    best, n, improved = list(path), len(path), True
    while improved:
        improved = False
        for i in range(1, n - 1):
            for j in range(i + 1, n):
                a, b, c = best[i - 1], best[i], best[j]
                after = dist[c][best[j + 1]] if j + 1 < n else 0.0
                before_end = dist[b][best[j + 1]] if j + 1 < n else 0.0
                if dist[a][c] + before_end < dist[a][b] + after - 1e-9:
                    best[i : j + 1] = reversed(best[i : j + 1])
                    improved = True
    return best


def plan_route(start: Point, stops: Sequence[Point]) -> RoutePlan:
    """The suggested order of `stops` from `start`, with each leg's distance."""
    if not stops:
        return RoutePlan((), ())
    dist = distances([start, *stops])
    path = two_opt(nearest_neighbour(dist), dist)
    legs = tuple(dist[a][b] for a, b in itertools.pairwise(path))
    return RoutePlan(tuple(i - 1 for i in path[1:]), legs)


def exact_route_m(start: Point, stops: Sequence[Point]) -> float:
    """The shortest open path from `start` through all stops (Held–Karp, O(2^n n^2)): benchmarks only."""
    dist = distances([start, *stops])
    n = len(stops)
    best: dict[tuple[int, int], float] = {(1 << k, k): dist[0][k + 1] for k in range(n)}
    for mask in range(1, 1 << n):
        for last in range(n):
            here = best.get((mask, last))
            if here is None:
                continue
            for nxt in range(n):
                if mask & (1 << nxt):
                    continue
                key = (mask | (1 << nxt), nxt)
                cost = here + dist[last + 1][nxt + 1]
                if cost < best.get(key, math.inf):
                    best[key] = cost
    full = (1 << n) - 1
    return min((best[(full, k)] for k in range(n)), default=0.0)
