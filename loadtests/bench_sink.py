"""Sink benchmark: accepted track batches into the checkin worker at a fixed rate (`make up` running).

    .venv/bin/python loadtests/bench_sink.py                      # 50,000 points/s for 5 minutes
    .venv/bin/python loadtests/bench_sink.py --minutes 1 --rate 80000
    .venv/bin/python loadtests/bench_sink.py --minutes 1 --compact  # then merge the hours it wrote, timed

Publishes `track.batch_accepted` events (persistent, what the gRPC process publishes once it has
validated a batch; not waiting for each confirm, so that the bench itself keeps up) straight to
`checkin.events`, so the figures are the sink's alone:
the batched consumer, the chunk inserts into checkin's store, the Redis pipeline. Prints, every
`--every` seconds, points/s offered and stored (the worker's `baifang_ingest_points_total{result=
"stored"}`) and the depth of the worker's track queue; then the sustained rate, the backlog growth,
the time to drain, the consumer's batch sizes and the CPU of the worker and of checkin's store
(from their pid files under var/run). Figures only: nothing is asserted.

Points belong to `--managers` bench managers (`bench-m0001`...) with a one-second step per manager,
so they never mix with the demo data; chunk ids derive from fresh batch ids, so runs never collide.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import kombu
import orjson
from stack_metrics import delta, metric_sum, port_of, scrape, tree_cpu_seconds

from baifang_common import stores
from baifang_common.publisher import exchange_for
from baifang_common.settings import ServiceSettings
from checkin.adapters.ingest_queues import TRACK_EVENT, ingest_queues
from checkin.domain.ingest import iso_of_ms

ROOT = Path(__file__).resolve().parent.parent
STORED = "baifang_ingest_points_total"
TARGET = 50_000


class Cpu:
    """CPU seconds of a process from its pid file (None when it is not there)."""

    def __init__(self, pid_file: Path) -> None:
        try:
            self.pid: int | None = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            self.pid = None
        self.start = self.seconds()

    def seconds(self) -> float | None:
        """With its children: `make up` runs the gateway as workers under one parent."""
        if self.pid is None or not Path(f"/proc/{self.pid}").exists():
            return None
        return tree_cpu_seconds(self.pid)

    def share(self, elapsed: float) -> str:
        now = self.seconds()
        if now is None or self.start is None or elapsed <= 0:
            return "n/a"
        return f"{(now - self.start) / elapsed:.0%} of a core"


class Tracks:
    """Accepted-batch bodies for the bench managers, each continuing its own timeline.

    The j-th batch of every manager carries the same points (the j-th stretch of time after a
    start a day ago), serialised once: building 100 bodies of 500 points a second would take
    the bench half a core on two busy ones. Points of one manager never repeat.
    """

    def __init__(self, managers: int, batch: int) -> None:
        self.managers = [f"bench-m{n:04d}" for n in range(1, managers + 1)]
        self.batch = batch
        self.start_ms = int((datetime.now(UTC) - timedelta(days=1)).timestamp() * 1000)
        self.fragments: list[bytes] = []
        self.turn = 0
        self.hours: set[tuple[str, int]] = set()

    def _points(self, j: int) -> bytes:
        """The j-th stretch of `batch` points, one second apart, serialised."""
        while len(self.fragments) <= j:
            first = self.start_ms + len(self.fragments) * self.batch * 1000
            self.fragments.append(
                orjson.dumps(
                    [
                        {
                            "lat": 31.8 + (i % 100) * 1e-4,
                            "lon": 117.2,
                            "accuracy_m": 8.0,
                            "speed_mps": 1.4,
                            "heading": 90.0,
                            "ts": iso_of_ms(first + i * 1000),
                        }
                        for i in range(self.batch)
                    ]
                )
            )
        return self.fragments[j]

    def body(self) -> bytes:
        j, m = divmod(self.turn, len(self.managers))
        manager = self.managers[m]
        self.turn += 1
        first = self.start_ms + j * self.batch * 1000
        self.hours.update((manager, ms // 3_600_000) for ms in (first, first + (self.batch - 1) * 1000))
        now = datetime.now(UTC).isoformat()
        head = orjson.dumps(
            {
                "event_type": TRACK_EVENT,
                "producer": "checkin",
                "event_id": str(uuid.uuid4()),
                "occurred_at": now,
                "batch_id": uuid.uuid4().hex,
                "manager_id": manager,
                "team_id": f"bench-t{m // 10:03d}",
                "accepted": self.batch,
                "rejected": 0,
                "received_at": now,
            }
        )
        return head[:-1] + b',"points":' + self._points(j) + b"}"


def stored_points() -> float:
    return metric_sum(scrape("checkin-worker"), STORED, kind="track", result="stored")


def run(args: argparse.Namespace) -> int:
    amqp_uri = ServiceSettings().amqp_uri
    queue = ingest_queues()["track"]
    if not scrape("checkin-worker"):
        print(f"bench_sink: the checkin worker's metrics (port {port_of('checkin-worker')}) do not answer: make up")
        return 2
    tracks = Tracks(args.managers, args.batch)
    per_second = args.rate / args.batch
    print(
        f"bench_sink: {args.rate:,.0f} points/s as {per_second:,.1f} batches/s of {args.batch} points, "
        f"{args.managers} managers, {args.minutes:g} min; queue {queue.name}"
    )
    worker_cpu = Cpu(ROOT / "var/run/checkin-worker.pid")
    store_cpu = Cpu(ROOT / "var/run/mongo-checkin.pid")
    before = scrape("checkin-worker")
    print(f"{'t s':>6}{'offered/s':>12}{'stored/s':>12}{'queue':>8}")
    with kombu.Connection(amqp_uri) as conn:
        producer = kombu.Producer(conn.channel())
        depth_channel = conn.channel()
        bound = queue.bind(depth_channel)
        bound.declare()

        def depth() -> int:
            return int(bound.queue_declare(passive=True).message_count)

        start_depth = depth()
        stored_at_start = stored_points()
        started = time.monotonic()
        duration = args.minutes * 60
        sent = 0
        last_t, last_sent, last_stored = started, 0, stored_at_start
        next_report = started + args.every
        while (now := time.monotonic()) < started + duration:
            due = int((now - started) * per_second) + 1
            while sent < due:
                producer.publish(
                    tracks.body(),
                    exchange=exchange_for("checkin"),
                    routing_key=TRACK_EVENT,
                    delivery_mode=2,
                    content_type="application/json",
                    content_encoding="utf-8",
                )
                sent += 1
            if now >= next_report:
                stored = stored_points()
                span = now - last_t
                print(
                    f"{now - started:>6.0f}{(sent - last_sent) * args.batch / span:>12,.0f}"
                    f"{(stored - last_stored) / span:>12,.0f}{depth():>8}",
                    flush=True,
                )
                last_t, last_sent, last_stored = now, sent, stored
                next_report += args.every
            time.sleep(max(0.0, min(0.02, started + (sent / per_second) - time.monotonic())))
        elapsed = time.monotonic() - started
        stored_in_run = stored_points() - stored_at_start
        end_depth = depth()
        worker_share, store_share = worker_cpu.share(elapsed), store_cpu.share(elapsed)
        offered = sent * args.batch
        drain_started = time.monotonic()
        while stored_points() - stored_at_start < offered and time.monotonic() - drain_started < args.drain_seconds:
            time.sleep(0.5)
        drained = stored_points() - stored_at_start >= offered
        drain_s = time.monotonic() - drain_started
    total_stored = stored_points() - stored_at_start
    after = scrape("checkin-worker")
    batches = delta(before, after, "baifang_consumer_batch_size_count", queue=queue.name)
    messages = delta(before, after, "baifang_consumer_batch_size_sum", queue=queue.name)
    batch_s = delta(before, after, "baifang_consumer_batch_seconds_sum", queue=queue.name)
    rate = stored_in_run / elapsed
    print()
    print(f"offered   {offered:,} points in {elapsed:.0f} s = {offered / elapsed:,.0f} points/s")
    print(f"stored    {stored_in_run:,.0f} points during the run = {rate:,.0f} points/s sustained")
    print(f"backlog   {start_depth} -> {end_depth} messages ({(end_depth - start_depth) * args.batch:+,} points)")
    drain_text = f"{drain_s:.1f} s" if drained else f"not within {args.drain_seconds:.0f} s"
    overall = total_stored / (elapsed + drain_s)
    print(f"drain     {drain_text}; all stored: {total_stored:,.0f} = {overall:,.0f} points/s")
    if batches:
        each_ms = batch_s / batches * 1000
        print(f"consumer  {batches:,.0f} batches, {messages / batches:.1f} messages each, {each_ms:.0f} ms each")
    print(f"cpu       checkin worker {worker_share}, checkin store {store_share}")
    # Kept up: everything offered stored within seconds of the end, the queue no deeper than it was.
    kept_up = drained and drain_s <= 5.0 and end_depth - start_depth <= per_second * 5
    verdict = "ok  " if kept_up and overall >= TARGET * 0.98 else "MISS"
    print(f"{verdict}      >= {TARGET:,} points/s sustained with no backlog growth (kept up: {kept_up})")
    if args.compact:
        compact(tracks)
    return 0


def compact(tracks: Tracks) -> None:
    """Merge every hour bucket the run wrote into one document each, timed."""
    from pymongo import MongoClient

    from checkin.adapters.bucket_store import BucketStore
    from checkin.domain.ingest import bucket_id
    from checkin.settings import CheckinSettings

    os.environ.update(stores.service_urls())
    settings = CheckinSettings()
    client: MongoClient[dict[str, Any]] = MongoClient(settings.mongo_url, tz_aware=True)
    buckets = BucketStore.tracks(client[settings.mongo_db]["track_buckets"])
    names = sorted({bucket_id(manager, hour) for manager, hour in tracks.hours})
    started = time.perf_counter()
    replaced = sum(buckets.compact(name) for name in names)
    elapsed = time.perf_counter() - started
    times = buckets.columns[0]
    merged = buckets.collection.find({"bucket": {"$in": names}}, {"t": 1})
    points = sum(len(times.decode(doc.get("t"))) for doc in merged)
    print(
        f"compact   {len(names)} hour buckets from {replaced} chunks in {elapsed:.1f} s: "
        f"{replaced / elapsed:,.0f} chunks/s, {points / elapsed:,.0f} points/s merged"
    )
    client.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=5.0, help="run length (default 5)")
    p.add_argument("--rate", type=float, default=50_000, help="points/s offered (default 50,000)")
    p.add_argument("--batch", type=int, default=500, help="points per accepted batch (default 500)")
    p.add_argument("--managers", type=int, default=2000, help="bench managers the batches belong to (2000)")
    p.add_argument("--every", type=float, default=10.0, help="seconds between progress lines (10)")
    p.add_argument("--drain-seconds", type=float, default=300.0, help="wait this long for the backlog to drain")
    p.add_argument("--compact", action="store_true", help="then merge the hours the run wrote, timed")
    return run(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
