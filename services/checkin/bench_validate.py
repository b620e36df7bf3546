"""Micro-benchmark of the track ingest hot path, in-process (not a test; prints figures).

    .venv/bin/python services/checkin/bench_validate.py [--seconds 3] [--publish]

Measures points/s of decode + validate for 1000-point JSON and protobuf batches, the event
encoding, and with --publish the full accept_track_batch (queue-depth check + one persistent
confirmed message) against the local RabbitMQ in a throw-away vhost (needs the management API).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from google.protobuf.timestamp_pb2 import Timestamp

from baifang.checkin.v1 import checkin_pb2
from baifang_common.context import Caller
from baifang_common.events import TrackBatchAccepted
from checkin.domain.ingest import validate_json_points, validate_typed_points
from checkin.domain.model import IngestLimits, TrackBatchCommand
from checkin.grpc_api import track_body, typed_points

POINTS = 1000
LIMITS = IngestLimits()


def track_points(n: int = POINTS, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(minutes=30)
    lat, lon = 31.2304, 121.4737
    out = []
    for i in range(n):
        lat += rng.uniform(-1e-4, 1e-4)
        lon += rng.uniform(-1e-4, 1e-4)
        point: dict[str, Any] = {
            "lat": round(lat, 6),
            "lon": round(lon, 6),
            "accuracy_m": round(rng.uniform(3, 30), 1),
            "ts": (start + timedelta(seconds=i)).astimezone().isoformat(timespec="milliseconds"),
        }
        if i % 2 == 0:
            point["speed_mps"] = round(rng.uniform(0, 15), 2)
            point["heading"] = round(rng.uniform(0, 359), 1)
        out.append(point)
    return out


def pb_body(points: list[dict[str, Any]]) -> bytes:
    batch = checkin_pb2.TrackBatch()
    for p in points:
        ts = Timestamp()
        ts.FromDatetime(datetime.fromisoformat(p["ts"]))
        batch.points.add(
            lat=p["lat"], lon=p["lon"], accuracy_m=p["accuracy_m"], speed_mps=p.get("speed_mps"),
            heading=p.get("heading"), ts=ts,
        )  # fmt: skip
    return batch.SerializeToString()


def timed(fn: Callable[[], Any], seconds: float) -> list[float]:
    """Per-call times (s) of fn repeated for about `seconds`."""
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def report(name: str, times: list[float], points: int = POINTS) -> None:
    median = statistics.median(times)
    p99 = sorted(times)[int(len(times) * 0.99) - 1] if len(times) >= 100 else max(times)
    print(f"{name:<44} {median * 1000:7.3f} ms/batch  p99 {p99 * 1000:7.3f} ms  {points / median:>10,.0f} points/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--publish", action="store_true", help="also run accept_track_batch against RabbitMQ")
    args = parser.parse_args()

    points = track_points()
    json_body = orjson.dumps({"points": points})
    proto = pb_body(points)
    print(f"batch: {POINTS} points, JSON {len(json_body):,} B, protobuf {len(proto):,} B")

    def json_path() -> None:
        now_ms = int(time.time() * 1000)
        validated = validate_json_points(orjson.loads(json_body)["points"], now_ms=now_ms, limits=LIMITS)
        assert len(validated.items) == POINTS, validated.rejected[:3]

    def pb_path() -> None:
        now_ms = int(time.time() * 1000)
        batch = checkin_pb2.TrackBatch.FromString(proto)
        validated = validate_typed_points(typed_points(batch.points), now_ms=now_ms, limits=LIMITS)
        assert len(validated.items) == POINTS, validated.rejected[:3]

    items = validate_json_points(points, now_ms=int(time.time() * 1000), limits=LIMITS).items
    fields: dict[str, Any] = {
        "batch_id": "b", "manager_id": "m001", "team_id": "t01", "points": items, "accepted": POINTS,
        "rejected": 0, "received_at": "",
    }  # fmt: skip
    event = TrackBatchAccepted(**fields)

    report("decode + validate, JSON (orjson)", timed(json_path, args.seconds))
    report("decode + validate, protobuf", timed(pb_path, args.seconds))
    body = event.to_body()
    report("event body encoded (orjson, as published)", timed(lambda: orjson.dumps(body), args.seconds))
    if args.publish:
        publish_bench(json_body, proto, args.seconds)


def publish_bench(json_body: bytes, proto: bytes, seconds: float) -> None:
    from baifang_common.publisher import EventPublisher
    from baifang_common.testing.plugin import create_vhost, delete_vhost, unique
    from checkin.adapters.ingest_queues import IngestQueues
    from checkin.usecases.tracks import accept_track_batch

    vhost = unique("bench-")
    uri = create_vhost(vhost)
    publisher = EventPublisher(uri)
    queues = IngestQueues(uri, max_depth=10**9, retry_after_s=1)
    try:

        def accept(body: bytes, fmt: str) -> Callable[[], None]:
            request = checkin_pb2.AcceptTrackBatchRequest(**{fmt: body})

            def run() -> None:
                cmd = TrackBatchCommand(Caller("m001", "manager", "t01"), track_body(request))
                result = accept_track_batch(cmd, publisher=publisher, queues=queues, limits=LIMITS)
                assert result.accepted == POINTS

            return run

        event = TrackBatchAccepted(
            batch_id="b", manager_id="m001", team_id="t01", received_at="", accepted=POINTS, rejected=0,
            points=validate_json_points(orjson.loads(json_body)["points"], now_ms=int(time.time() * 1000),
                                        limits=LIMITS).items,
        )  # fmt: skip
        queues.declare()
        report("publisher.publish (1 persistent msg, confirm)", timed(lambda: publisher.publish(event), seconds))
        report("accept_track_batch JSON (+confirm)", timed(accept(json_body, "json"), seconds))
        report("accept_track_batch protobuf (+confirm)", timed(accept(proto, "protobuf"), seconds))
    finally:
        publisher.close()
        queues.close()
        delete_vhost(vhost)


if __name__ == "__main__":
    main()
