"""Route suggestion benchmark (GET /route): quality against the exact optimum, and speed.

    .venv/bin/python loadtests/bench_route.py               # 200 ten-stop days, 40 stops x 20
    .venv/bin/python loadtests/bench_route.py --days 50

Prints, for random ten-stop days of outlets scattered over ~10 km around one city: the mean,
95th percentile and worst gap of nearest neighbour alone and of nearest neighbour + 2-opt to the
exact shortest open path (Held–Karp); then the time to plan a 40-stop day (median and worst).
Pure computation: no stack needed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from planning.domain.route import Point, distances, exact_route_m, nearest_neighbour, path_length, plan_route

CENTRE = Point(31.82, 117.23)
SPREAD_DEG = 0.09  # about 10 km


def _day(rng: random.Random, stops: int) -> tuple[Point, list[Point]]:
    def near() -> Point:
        return Point(
            CENTRE.lat + rng.uniform(-SPREAD_DEG, SPREAD_DEG), CENTRE.lon + rng.uniform(-SPREAD_DEG, SPREAD_DEG)
        )

    return near(), [near() for _ in range(stops)]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def quality(days: int, rng: random.Random) -> None:
    greedy_gaps, gaps = [], []
    for _ in range(days):
        start, stops = _day(rng, 10)
        optimum = exact_route_m(start, stops)
        dist = distances([start, *stops])
        greedy_gaps.append(100 * (path_length(nearest_neighbour(dist), dist) / optimum - 1))
        gaps.append(100 * (plan_route(start, stops).total_m / optimum - 1))
    for name, values in (("nearest neighbour", greedy_gaps), ("nearest neighbour + 2-opt", gaps)):
        print(
            f"{name:>26}: gap to optimum mean {statistics.mean(values):.2f} %, "
            f"p95 {_pct(values, 0.95):.2f} %, worst {max(values):.2f} %, optimal in "
            f"{sum(1 for g in values if g < 1e-6)}/{days} days"
        )


def speed(runs: int, rng: random.Random) -> None:
    times = []
    for _ in range(runs):
        start, stops = _day(rng, 40)
        began = time.perf_counter()
        plan_route(start, stops)
        times.append((time.perf_counter() - began) * 1000)
    print(f"{'40 stops':>26}: median {statistics.median(times):.1f} ms, worst {max(times):.1f} ms ({runs} days)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=200, help="ten-stop days compared with the optimum")
    parser.add_argument("--runs", type=int, default=20, help="40-stop days timed")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    quality(args.days, rng)
    speed(args.runs, rng)


if __name__ == "__main__":
    main()
