"""Analytics benchmark: how fast the read model absorbs the demo seed's events (`make up` running).

    .venv/bin/python loadtests/bench_analytics.py              # the default seed: 50 managers
    .venv/bin/python loadtests/bench_analytics.py --backlog    # the worker absorbing a queued backlog
    .venv/bin/python loadtests/bench_analytics.py --managers 200 --customers 12000

Builds exactly the events `make seed` publishes (scripts/seed.py's planning demo, same seed, same
day), keeps those the analytics worker consumes (plans, completed and missed visits), gives them
fresh event ids (the worker's inbox would skip the seed's own as duplicates; the writes are
idempotent, so the read model ends as the seed left it) and publishes them from several
connections, persistent and confirmed, as the seed does. Then it waits until the analytics
worker counts them all as applied (`baifang_event_consume_seconds_count{outcome="applied"}`) and
prints events/s from the first publish to the last event applied, the publishing time, the
consumer's batch sizes and the worker's and analytics store's CPU. Figures only.

The publisher (Python, confirms) is as fast as the consumer on two shared cores, so the first
figure is partly the publisher's. `--backlog` separates them: it stops the analytics worker of
`make up` (its pid file under var/run), publishes everything into its queues, starts it again
(`scripts/stack.py up`, with STACK_PORT_OFFSET) and times the worker alone, from its start to the
last event applied.
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
from pathlib import Path
from zoneinfo import ZoneInfo

from bench_sink import Cpu
from stack_metrics import delta, metric_sum, port_of, scrape

from analytics.settings import AnalyticsSettings
from baifang_common.demo import demo_org
from baifang_common.events import VisitCompleted, VisitMissed, VisitPlanPublished
from baifang_common.timeutil import today
from planning.demo import _events, _publish, make_customers, make_visits, plan_days

ROOT = Path(__file__).resolve().parent.parent
CONSUMED = (VisitPlanPublished, VisitCompleted, VisitMissed)
TARGET_RATE, TARGET_SECONDS = 2_000, 15.0


def seed_events(managers: int, customers: int, seed: int = 20141) -> list[object]:
    """The events planning's demo loader publishes for this org (planning/demo.py), analytics' share."""
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
    return [
        dataclasses.replace(e, event_id=str(uuid.uuid4())) for e in _events(outlets, visits) if isinstance(e, CONSUMED)
    ]


def applied() -> float:
    return metric_sum(scrape("analytics-worker"), "baifang_event_consume_seconds_count", outcome="applied")


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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--managers", type=int, default=50, help="as seed.py --managers (default 50)")
    p.add_argument("--customers", type=int, default=3000, help="as seed.py --customers (default 3000)")
    p.add_argument("--timeout", type=float, default=300.0, help="give up waiting after this many seconds")
    p.add_argument("--backlog", action="store_true", help="queue everything first, then time the worker alone")
    args = p.parse_args(argv)
    if not scrape("analytics-worker"):
        print(f"bench_analytics: the analytics worker (metrics port {port_of('analytics-worker')}) does not answer")
        return 2
    events = seed_events(args.managers, args.customers)
    kinds = {t.event_type: sum(isinstance(e, t) for e in events) for t in CONSUMED}
    print(f"bench_analytics: {len(events):,} events ({', '.join(f'{k} {n:,}' for k, n in kinds.items())})")
    startup_s = 0.0
    if args.backlog:
        stop_worker()
        publish_started = time.monotonic()
        _publish(AnalyticsSettings().amqp_uri, events)  # type: ignore[arg-type]
        published_s = time.monotonic() - publish_started
        started = time.monotonic()
        start_worker()  # returns once it answers /readyz: its consumers are running
        startup_s = time.monotonic() - started
        before: dict[str, float] = {}  # a new process: its counters start at zero
        start_count = 0.0
    else:
        before = scrape("analytics-worker")
        start_count = applied()
        started = time.monotonic()
    worker_cpu = Cpu(ROOT / "var/run/analytics-worker.pid")
    store_cpu = Cpu(ROOT / "var/run/mongo-analytics.pid")
    if not args.backlog:
        _publish(AnalyticsSettings().amqp_uri, events)  # type: ignore[arg-type]
        published_s = time.monotonic() - started
    goal = start_count + len(events)
    while (done := applied()) < goal and time.monotonic() - started < args.timeout:
        time.sleep(0.1)
    elapsed = time.monotonic() - started
    after = scrape("analytics-worker")
    batches = delta(before, after, "baifang_consumer_batch_size_count")
    messages = delta(before, after, "baifang_consumer_batch_size_sum")
    rate = (done - start_count) / elapsed
    print(f"published {len(events):,} in {published_s:.1f} s ({len(events) / published_s:,.0f}/s, confirmed)")
    if args.backlog:
        absorbing = elapsed - startup_s
        print(
            f"applied   {done:,.0f} in {elapsed:.1f} s from the worker's start ({startup_s:.1f} s to ready) = "
            f"{rate:,.0f} events/s; {done / absorbing:,.0f} events/s once ready"
        )
    else:
        print(f"applied   {done - start_count:,.0f} in {elapsed:.1f} s from the first publish = {rate:,.0f} events/s")
    if batches:
        print(f"consumer  {batches:,.0f} batches of {messages / batches:.1f} events on average")
    print(f"cpu       analytics worker {worker_cpu.share(elapsed)}, analytics store {store_cpu.share(elapsed)}")
    verdict = "ok  " if rate >= TARGET_RATE and elapsed <= TARGET_SECONDS else "MISS"
    print(f"{verdict}      >= {TARGET_RATE:,} events/s, the seed's events in <= {TARGET_SECONDS:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
