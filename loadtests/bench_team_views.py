"""Supervisor views benchmark: p50 / p95 of each view through the gateway (`make up` running).

    .venv/bin/python loadtests/bench_team_views.py                       # gateway on :8080
    .venv/bin/python loadtests/bench_team_views.py --url http://127.0.0.1:9080 --requests 200

Seeds a bench team `tbench` of 30 managers (`bench01`..`bench30`) in checkin's own stores, through
the code the checkin worker runs: every manager gets yesterday's full working day, one fix every
5 s from 08:00 to 19:00 (7,921 fixes, stored by `store_track_batches` in batches of 1,000 as the
sink receives them), and a live position seconds old with a current visit. Then, logged in as the
demo admin (who names the team), it times one request at a time:

* GET /team/positions?team_id=tbench                        (target: p95 < 20 ms)
* GET /team/bench01/track?date=<yesterday>                   (simplified; target: p95 < 300 ms)
* GET /team/bench01/track?date=<yesterday>&simplify=0        (every fix; target: p95 < 300 ms)
* GET /team/attendance?team_id=tbench&date=<yesterday>       (30 full days; no target)
* GET /team/attendance?...&format=csv

Latencies are measured by the client, end to end (HTTP, gateway, gRPC, the store or Redis); two
baselines (GET /me: authentication only; GET /team/progress: one small gRPC read) show what the
machine's load adds to every request.
Figures only: nothing fails on a slow answer. Re-running re-seeds nothing already stored.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from baifang_common import mongo as mongo_factory
from baifang_common import redis as redis_factory
from baifang_common.events import TrackBatchAccepted
from baifang_common.stores import service_urls
from checkin import bootstrap
from checkin.adapters.live_positions import LivePositions
from checkin.settings import CheckinSettings
from checkin.usecases.bucketing import store_track_batches

TEAM, MANAGERS = "tbench", [f"bench{i:02d}" for i in range(1, 31)]
STEP_S, BATCH = 5, 1000


def day_points(day: str, manager_index: int, tz: ZoneInfo) -> list[dict[str, object]]:
    """08:00-19:00 every 5 s: a walk along a 2 km square, five-minute stops at its corners."""
    start = datetime.fromisoformat(f"{day}T08:00:00").replace(tzinfo=tz)
    lat0, lon0 = 31.80 + manager_index * 0.01, 117.20
    points = []
    for i in range(11 * 3600 // STEP_S + 1):
        leg, within = divmod(i, 600)  # 50 min per leg: 5 min stopped, then 45 min walking (1.2 m/s)
        progress = max(0, within - 60) / 540
        corner = leg % 4
        dlat, dlon = ((0, 1), (1, 0), (0, -1), (-1, 0))[corner]
        base = ((0, 0), (0, 1), (1, 1), (1, 0))[corner]
        lat = lat0 + (base[0] + dlat * progress) * 0.018
        lon = lon0 + (base[1] + dlon * progress) * 0.021
        ts = start + timedelta(seconds=i * STEP_S)
        points.append({"lat": lat, "lon": lon, "accuracy_m": 8.0, "speed_mps": 1.2, "ts": ts.isoformat()})
    return points


def seed(settings: CheckinSettings, day: str) -> None:
    deps = bootstrap.build_worker(settings)
    tz = ZoneInfo(settings.timezone)
    started = time.perf_counter()
    for n, manager in enumerate(MANAGERS):
        points = day_points(day, n, tz)
        events = [
            TrackBatchAccepted(
                batch_id=f"bench-{day}-{manager}-{k}",
                manager_id=manager,
                team_id=TEAM,
                points=points[k : k + BATCH],
                accepted=len(points[k : k + BATCH]),
                rejected=0,
                received_at=datetime.now(UTC).isoformat(),
            )
            for k in range(0, len(points), BATCH)
        ]
        store_track_batches(
            events,
            buckets=deps.track_buckets,
            gaps=deps.gaps,
            last_fixes=deps.last_fixes,
            gap_rule=deps.gap_rule,
            max_fix_accuracy_m=deps.thresholds.max_accuracy_m,
        )
    now = datetime.now(UTC)
    live = [
        TrackBatchAccepted(
            batch_id=f"bench-live-{manager}-{int(now.timestamp())}",
            manager_id=manager,
            team_id=TEAM,
            points=[
                {"lat": 31.8 + n * 0.001, "lon": 117.2, "accuracy_m": 6.0, "speed_mps": 0.8, "ts": now.isoformat()}
            ],
            accepted=1,
            rejected=0,
            received_at=now.isoformat(),
        )
        for n, manager in enumerate(MANAGERS)
    ]
    store_track_batches(
        live,
        buckets=deps.track_buckets,
        gaps=deps.gaps,
        last_fixes=deps.last_fixes,
        gap_rule=deps.gap_rule,
        max_fix_accuracy_m=deps.thresholds.max_accuracy_m,
    )
    visits = LivePositions(redis_factory.client(settings), redis_factory.key(settings))
    for manager in MANAGERS:
        visit = {"visit_id": f"v-{manager}", "customer_id": "c-bench", "checkin_id": f"c-{manager}"}
        visits.remember_visit(TEAM, manager, {**visit, "verdict": "ok", "verdict_reason": "", "at": now.isoformat()})
    print(
        f"seeded {len(MANAGERS)} managers x {len(day_points(day, 0, tz))} fixes in {time.perf_counter() - started:.1f}s"
    )
    mongo_factory.client(settings).close()


def timed(client: httpx.Client, path: str, params: dict[str, str], n: int) -> tuple[list[float], int, int]:
    """Milliseconds of n sequential requests (after two warm-ups), the last body's size, and how
    many answers were not 200 (a deadline passed on an overloaded machine: 503)."""
    for _ in range(2):
        client.get(path, params=params)
    samples, size, failed = [], 0, 0
    for _ in range(n):
        began = time.perf_counter()
        answer = client.get(path, params=params)
        samples.append((time.perf_counter() - began) * 1000)
        failed += answer.status_code != 200
        size = len(answer.content) if answer.status_code == 200 else size
    return samples, size, failed


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("BAIFANG_URL", "http://127.0.0.1:8080"))
    parser.add_argument("--requests", type=int, default=200, help="per view (attendance: a tenth)")
    parser.add_argument("--no-seed", action="store_true", help="time only (seeded before)")
    args = parser.parse_args(argv)
    for name, url in service_urls(os.environ).items():  # checkin's own store, as `make up` placed it
        os.environ.setdefault(name, url)
    settings = CheckinSettings()
    day = (datetime.now(ZoneInfo(settings.timezone)).date() - timedelta(days=1)).isoformat()
    if not args.no_seed:
        seed(settings, day)
    password = os.environ.get("BAIFANG_DEMO_PASSWORD", "baifang-demo")
    with httpx.Client(base_url=f"{args.url}/api/v1", timeout=30) as client:
        login = client.post("/auth/login", json={"username": "admin", "password": password})
        login.raise_for_status()
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        views = [
            ("baseline: GET /me (auth, no gRPC)", "/me", {}, args.requests),
            ("baseline: GET /team/progress", "/team/progress", {"team_id": "t01"}, args.requests),
            ("GET /team/positions (30 members)", "/team/positions", {"team_id": TEAM}, args.requests),
            ("GET /team/{id}/track simplified", f"/team/{MANAGERS[0]}/track", {"date": day}, args.requests),
            ("GET /team/{id}/track simplify=0", f"/team/{MANAGERS[0]}/track", {"date": day, "simplify": "0"}, 100),
            ("GET /team/attendance (30 days)", "/team/attendance", {"team_id": TEAM, "date": day}, 20),
            (
                "GET /team/attendance format=csv",
                "/team/attendance",
                {"team_id": TEAM, "date": day, "format": "csv"},
                20,
            ),
        ]
        track = client.get(f"/team/{MANAGERS[0]}/track", params={"date": day}).json()
        print(f"track of {MANAGERS[0]} on {day}: {track['raw_count']} fixes, {track['point_count']} after simplifying")
        print(f"{'view':<36} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'bytes':>9} {'not 200':>8}")
        for name, path, params, n in views:
            samples, size, failed = timed(client, path, params, n)
            median, tail = statistics.median(samples), p95(samples)
            print(f"{name:<36} {n:>4} {median:>8.1f} {tail:>8.1f} {size:>9} {failed:>8}", flush=True)
        print(
            f"load average while measuring: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
