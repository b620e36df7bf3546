"""Helpers of the ingestion tests: batches, the use cases wired to real deps, store snapshots."""

from __future__ import annotations

import re
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import redis as redis_lib

from baifang_common.context import Caller
from baifang_common.events import TrackBatchAccepted
from checkin.bootstrap import GrpcDeps, WorkerDeps
from checkin.domain.model import BatchBody, BatchResult, BodyFormat, TrackBatchCommand
from checkin.usecases.bucketing import store_track_batches
from checkin.usecases.tracks import accept_track_batch


def track(
    start: datetime, n: int, *, step_s: float = 10.0, lat: float = 31.2304, lon: float = 121.4737
) -> list[dict[str, Any]]:
    """n points walking north from (lat, lon), `step_s` apart from `start`."""
    return [
        {
            "lat": round(lat + i * 1e-4, 7),
            "lon": lon,
            "accuracy_m": 8.0,
            "ts": (start + timedelta(seconds=i * step_s)).isoformat(),
        }
        for i in range(n)
    ]


def recent(minutes: float = 30.0) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes)


def accept(
    deps: GrpcDeps, points: list[dict[str, Any]], *, manager: str = "m001", team: str = "t01", batch_id: str = ""
) -> BatchResult:
    cmd = TrackBatchCommand(Caller(manager, "manager", team), BatchBody(BodyFormat.JSON, points), batch_id)
    return accept_track_batch(cmd, publisher=deps.publisher, queues=deps.queues, limits=deps.limits)


def store(deps: WorkerDeps, body: dict[str, Any]) -> None:
    """What the worker's handler does with one track.batch_accepted body."""
    store_track_batches(
        [TrackBatchAccepted.from_body(body)],
        buckets=deps.track_buckets,
        gaps=deps.gaps,
        last_fixes=deps.last_fixes,
        gap_rule=deps.gap_rule,
        max_fix_accuracy_m=deps.thresholds.max_accuracy_m,
    )


def snapshot(deps: WorkerDeps, manager: str = "m001", team: str = "t01") -> dict[str, Any]:
    """Everything a track batch writes: chunks, the points they read back as, gap facts, last fix, live position."""
    client: redis_lib.Redis = deps.last_fixes.client
    return {
        "chunks": list(deps.track_buckets.collection.find({}).sort("_id", 1)),
        "points": deps.track_buckets.of_owner(manager),
        "gaps": list(deps.gaps.collection.find({}).sort("_id", 1)),
        "last_fix": client.hgetall(deps.last_fixes._key(manager)),
        "position": live_position(deps, team, manager),
    }


def live_position(deps: WorkerDeps, team: str, manager: str) -> tuple[float, float, float] | None:
    """(lat, lon, epoch seconds) of a manager on the team's live map, as the map reads it from Redis."""
    fixes = deps.last_fixes
    geo = fixes.client.geopos(f"{fixes.positions_prefix}:{team}", manager)
    at = fixes.client.hget(f"{fixes.fix_time_prefix}:{team}", manager)
    if not geo or geo[0] is None or at is None:
        return None
    lon, lat = geo[0]
    return float(lat), float(lon), float(at)


def metric(metrics_port: int, name: str, labels: str) -> float:
    """A sample of a process's /metrics (0 when absent)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2) as resp:
        text = resp.read().decode()
    match = re.search(rf"^{re.escape(name)}\{{{re.escape(labels)}\}} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def stored_points(metrics_port: int) -> float:
    return metric(metrics_port, "baifang_ingest_points_total", 'kind="track",reason="",result="stored"')
