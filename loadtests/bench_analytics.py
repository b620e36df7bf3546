"""Analytics benchmark: how fast the read model absorbs the demo seed's events (`make up` running).

    .venv/bin/python loadtests/bench_analytics.py              # the default seed: 50 managers
    .venv/bin/python loadtests/bench_analytics.py --backlog    # the worker absorbing a queued backlog
    .venv/bin/python loadtests/bench_analytics.py --planning-only   # plans and visits only
    .venv/bin/python loadtests/bench_analytics.py --managers 200 --customers 12000

Builds exactly the events `make seed` publishes that the analytics worker consumes (same seed,
same day): collection's catalogue and order import (`sku.upserted`, `orders.recorded`: 27k
order lines in 55 events) and planning's customers, owners, plans, completed and missed visits
(`customer.upserted`, `customer.assigned`, ...: ~27,000 events in all). `--planning-only` keeps
the plans and visits alone (the benchmark's earlier scope). The events get fresh event ids (the
writes are idempotent, so the read model ends as the seed left it) and are published from several
connections, persistent and confirmed, as the seed does. Then it waits until every consumer of
the worker has taken all its events (`baifang_consumer_batch_size_sum` per queue: a type with two
consumers, such as `visit.completed`, counts for each) and prints, per consumer, its events, when
it was done and its events/s; then the total events/s, the time until every queue was drained,
the batch sizes and the CPU seconds of the worker and of analytics' store (steadier than wall
time on shared cores). Figures only.

The publisher (Python, confirms) competes with the consumer for two shared cores, so the first
figure is partly the publisher's. `--backlog` separates them: it stops the analytics worker of
`make up` (its pid file under var/run), publishes everything into its queues, starts it again
(`scripts/stack.py up`, with STACK_PORT_OFFSET) and times the worker alone, from its start to the
last event applied. `--reset` (with `--backlog`) first empties analytics' database as `scripts/seed.py
--reset` does, so the events are absorbed as the seed's are; without it they restate what is stored
(a replay, which costs the store more).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench_sink import Cpu
from stack_metrics import delta, metric_sum, port_of, scrape

from analytics.demo import load_demo as reset_analytics
from analytics.settings import AnalyticsSettings
from baifang_common import stores
from baifang_common.demo import demo_org
from baifang_common.events import Event, SkuUpserted, VisitCompleted, VisitMissed, VisitPlanPublished
from baifang_common.timeutil import today
from collection.demo import _owners, demo_catalogue, demo_orders
from collection.usecases.orders import announce
from planning.demo import _events, _publish, make_customers, make_visits, plan_days

ROOT = Path(__file__).resolve().parent.parent
# How often the worker's metrics are read. Its page is ~160 KB (a histogram per queue): read every
# 0.1 s, writing it took a quarter of the worker's samples (py-spy) and slowed what is measured.
POLL_SECONDS = 1.0
PLANNING_ONLY = (VisitPlanPublished, VisitCompleted, VisitMissed)
TARGET_RATE, TARGET_SECONDS = 2_000, 15.0
BATCHES = "baifang_consumer_batch_size_sum"  # per queue: the messages its consumer took


class Collected:
    """Stands in for collection's publisher: keeps the events its demo loader would publish."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish_many(self, events: Iterable[Event]) -> None:
        self.events.extend(events)


def collection_events(managers: int, customers: int) -> list[Event]:
    """The catalogue's and the order import's events, as collection's demo loader publishes them."""
    org = demo_org(managers=managers)
    catalogue = demo_catalogue()
    fields = [f.name for f in dataclasses.fields(SkuUpserted) if hasattr(catalogue[0], f.name)]
    out: list[Event] = [SkuUpserted(**{name: getattr(s, name) for name in fields}) for s in catalogue]
    collected = Collected()
    orders = demo_orders(customers, catalogue, today(AnalyticsSettings().timezone))
    announce(orders, _owners(org, customers), publisher=collected)  # type: ignore[arg-type]
    return out + collected.events


def seed_events(managers: int, customers: int, seed: int = 20141, planning_only: bool = False) -> list[Any]:
    """The events the seed publishes (planning/demo.py, collection/demo.py), analytics' share."""
    org = demo_org(managers=managers)
    settings = AnalyticsSettings()
    day = today(settings.timezone)
    rng = random.Random(seed)
    outlets = make_customers(org, customers, rng)
    by_manager: dict[str, list[object]] = {}
    for c in outlets:
        by_manager.setdefault(c.manager_id, []).append(c)
    days = plan_days(day)
    tz = ZoneInfo(settings.timezone)
    visits = [
        v
        for m in org.managers
        if by_manager.get(m.id)
        for v in make_visits(m, by_manager[m.id], days, day, tz, rng)  # type: ignore[arg-type]
    ]
    planning = [e for e in _events(outlets, visits) if not planning_only or isinstance(e, PLANNING_ONLY)]
    events = planning if planning_only else collection_events(managers, customers) + planning
    return [dataclasses.replace(e, event_id=str(uuid.uuid4())) for e in events]


def consumers(samples: dict[str, float]) -> dict[str, str]:
    """The worker's queues (one per consumer) and the event type each consumes."""
    out = {}
    for key in samples:
        if key.startswith(BATCHES + "{queue="):
            queue = key.split("queue=", 1)[1].rstrip("}")
            out[queue] = queue.split("--", 1)[0].split("-", 2)[2]  # evt-<source>-<event type>--<service>.<method>
    return out


def taken(samples: dict[str, float], queue: str) -> float:
    return metric_sum(samples, BATCHES, queue=queue)


def stop_worker() -> None:
    """SIGTERM the analytics worker `make up` started, and wait until it is gone."""
    pid = int((ROOT / "var/run/analytics-worker.pid").read_text().split()[0])
    if b"analytics" not in Path(f"/proc/{pid}/cmdline").read_bytes():
        raise SystemExit(f"bench_analytics: pid {pid} is not the analytics worker")
    os.kill(pid, signal.SIGTERM)
    while Path(f"/proc/{pid}").exists():
        time.sleep(0.1)


def start_worker() -> None:
    offset = os.environ.get("STACK_PORT_OFFSET", "0")
    subprocess.run(
        [sys.executable, str(ROOT / "scripts/stack.py"), "up", "--port-offset", offset],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def wait_for(goals: dict[str, float], started: float, timeout: float) -> dict[str, float]:
    """Seconds from `started` until each queue's consumer had taken its goal (those done in time)."""
    done_at: dict[str, float] = {}
    while len(done_at) < len(goals) and time.monotonic() - started < timeout:
        samples = scrape("analytics-worker")
        now = time.monotonic() - started
        done_at.update({q: now for q, goal in goals.items() if q not in done_at and taken(samples, q) >= goal})
        time.sleep(POLL_SECONDS)
    return done_at


def cpu_seconds(cpu: Cpu) -> str:
    now = cpu.seconds()
    return "n/a" if now is None or cpu.start is None else f"{now - cpu.start:.1f} s"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--managers", type=int, default=50, help="as seed.py --managers (default 50)")
    p.add_argument("--customers", type=int, default=3000, help="as seed.py --customers (default 3000)")
    p.add_argument("--timeout", type=float, default=300.0, help="give up waiting after this many seconds")
    p.add_argument("--backlog", action="store_true", help="queue everything first, then time the worker alone")
    p.add_argument("--planning-only", action="store_true", help="plans, completed and missed visits only")
    p.add_argument("--reset", action="store_true", help="with --backlog: empty analytics' database first, as the seed")
    args = p.parse_args(argv)
    os.environ.update(stores.service_urls())  # analytics' own store (--reset), as the seed
    if not scrape("analytics-worker"):
        print(f"bench_analytics: the analytics worker (metrics port {port_of('analytics-worker')}) does not answer")
        return 2
    events = seed_events(args.managers, args.customers, planning_only=args.planning_only)
    kinds: dict[str, int] = {}
    for e in events:
        kinds[e.event_type] = kinds.get(e.event_type, 0) + 1
    print(f"bench_analytics: {len(events):,} events ({', '.join(f'{k} {n:,}' for k, n in kinds.items())})")
    print(f"load average {os.getloadavg()[0]:.1f} (2 cores shared: the CPU seconds below are the steadier figure)")
    startup_s = 0.0
    if args.reset and not args.backlog:
        p.error("--reset needs --backlog (the worker must be stopped while the database is emptied)")
    if args.backlog:
        stop_worker()
        if args.reset:  # what `scripts/seed.py --reset` does: the events then find nothing stored
            org, settings = demo_org(managers=args.managers), AnalyticsSettings()
            reset_analytics(settings, org, today=today(settings.timezone), reset=True, customers=args.customers)
        publish_started = time.monotonic()
        _publish(AnalyticsSettings().amqp_uri, events)
        published_s = time.monotonic() - publish_started
        started = time.monotonic()
        start_worker()  # returns once it answers /readyz: its consumers are running
        startup_s = time.monotonic() - started
        before: dict[str, float] = {}  # a new process: its counters start at zero
    else:
        before = scrape("analytics-worker")
        started = time.monotonic()
    worker_cpu = Cpu(ROOT / "var/run/analytics-worker.pid")
    store_cpu = Cpu(ROOT / "var/run/mongo-analytics.pid")
    if not args.backlog:
        _publish(AnalyticsSettings().amqp_uri, events)
        published_s = time.monotonic() - started
    queues = {q: t for q, t in consumers(scrape("analytics-worker")).items() if t in kinds}
    goals = {q: taken(before, q) + kinds[t] for q, t in queues.items()}
    done_at = wait_for(goals, started, args.timeout)
    elapsed = max(done_at.values()) if len(done_at) == len(goals) else time.monotonic() - started
    after = scrape("analytics-worker")
    print(f"published {len(events):,} in {published_s:.1f} s ({len(events) / published_s:,.0f}/s, confirmed)")
    print(f"{'consumer (queue)':<72} {'events':>7} {'done s':>7} {'events/s':>9}")
    for q in sorted(queues, key=lambda q: done_at.get(q, float("inf"))):
        n, at = kinds[queues[q]], done_at.get(q)
        print(f"{q:<72} {n:>7,} {at or float('nan'):>7.1f} {n / at if at else 0:>9,.0f}")
    missing = [q for q in goals if q not in done_at]
    rate = len(events) / elapsed
    origin = "the worker's start" if args.backlog else "the first publish"
    deliveries = sum(kinds[t] for t in queues.values())
    print(
        f"applied   {len(events):,} events ({deliveries:,} to consumers) in {elapsed:.1f} s from {origin} = "
        f"{rate:,.0f} events/s" + (f"; NOT DONE: {missing}" if missing else "")
    )
    if args.backlog:
        absorbing = elapsed - startup_s
        print(f"          {startup_s:.1f} s to ready, then {absorbing:.1f} s = {len(events) / absorbing:,.0f} events/s")
    batches, messages = delta(before, after, "baifang_consumer_batch_size_count"), delta(before, after, BATCHES)
    if batches:
        print(f"consumer  {batches:,.0f} batches of {messages / batches:.1f} events on average")
    print(
        f"cpu       analytics worker {cpu_seconds(worker_cpu)} ({worker_cpu.share(elapsed)}), "
        f"analytics store {cpu_seconds(store_cpu)} ({store_cpu.share(elapsed)}); load average {os.getloadavg()[0]:.1f}"
    )
    verdict = "ok  " if rate >= TARGET_RATE and elapsed <= TARGET_SECONDS and not missing else "MISS"
    print(f"{verdict}      >= {TARGET_RATE:,} events/s, the seed's events in <= {TARGET_SECONDS:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
