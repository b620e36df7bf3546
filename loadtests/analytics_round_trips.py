"""Store commands per batch of each of analytics' consumers, over the demo seed's events, counted exactly.

    .venv/bin/python loadtests/analytics_round_trips.py     # needs analytics' store (scripts/infra.sh)
    .venv/bin/python loadtests/analytics_round_trips.py --batch 200 --top 10

The events `bench_analytics.py` builds (the seed's analytics share) are applied through the worker's
use cases in this one process, in batches of `--batch` per consumer, one batch of each consumer in
turn (as the worker's consumers run side by side), into an emptied database of its own (suffix
`_round_trips`) on analytics' store. No broker, no worker: what is counted is the use cases' store
traffic. Per consumer: its events and batches, this process's CPU and the store's (its pid file under
var/run), then per command and collection the commands and operations (documents written, ids
asked for) per batch and the store's time answering them (a command's round trip on loopback: on
NX-27017 mostly the store's CPU). Counts do not depend on what else the machine runs; times do.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from pymongo import monitoring

ROOT = Path(__file__).resolve().parent.parent
PROGRESS = ("visit_plan.published", "visit.completed", "visit.missed")  # usecases/progress.py
FACTS = ("customer.upserted", "customer.assigned", "sku.upserted", "orders.recorded", "visit.completed", "visit.missed")
Key = tuple[str, str, str]  # (consumer, command, collection)


class Counting(monitoring.CommandListener):
    """Every command of this process's clients, put down to the consumer whose batch runs."""

    def __init__(self) -> None:
        self.consumer = ""
        self.commands: Counter[Key] = Counter()
        self.ops: Counter[Key] = Counter()
        self.micros: Counter[Key] = Counter()
        self._open: dict[int, Key] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not self.consumer:
            return
        command = event.command
        target = command.get(event.command_name)
        key = (self.consumer, event.command_name, target if isinstance(target, str) else "")
        self.commands[key] += 1
        self.ops[key] += _operations(command)
        self._open[event.request_id] = key

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._done(event.request_id, event.duration_micros)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._done(event.request_id, event.duration_micros)

    def _done(self, request_id: int, micros: int) -> None:
        if (key := self._open.pop(request_id, None)) is not None:
            self.micros[key] += micros


def _operations(command: Any) -> int:
    """Documents a write carries, or ids an `_id` `$in` read asks for."""
    written = command.get("documents") or command.get("updates") or command.get("deletes")
    if written:
        return len(written)
    wanted = (command.get("filter") or {}).get("_id")
    return len(wanted["$in"]) if isinstance(wanted, dict) and "$in" in wanted else 0


def store_cpu() -> float:
    """CPU seconds of analytics' store process (0 when its pid file is not there)."""
    try:
        pid = int((ROOT / "var/run/mongo-analytics.pid").read_text().split()[0])
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, ValueError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batch", type=int, default=200, help="events per batch (the worker's default maximum)")
    p.add_argument("--top", type=int, default=8, help="commands shown per consumer, the costliest first")
    args = p.parse_args(argv)
    counting = Counting()
    monitoring.register(counting)  # before any client exists
    from baifang_common import stores

    os.environ.update(stores.service_urls())
    os.environ["BAIFANG_DB_SUFFIX"] = "_round_trips"
    from bench_analytics import seed_events

    from analytics import bootstrap
    from analytics.demo import load_demo
    from analytics.settings import AnalyticsSettings
    from analytics.usecases import business_facts, progress
    from baifang_common.demo import demo_org
    from baifang_common.timeutil import today

    settings = AnalyticsSettings()
    load_demo(settings, demo_org(managers=50), today=today(settings.timezone), reset=True, customers=3000)
    deps = bootstrap.build_worker(settings)
    queues: dict[str, list[Any]] = {}
    for event in seed_events(50, 3000):
        for kind, types in (("progress", PROGRESS), ("facts", FACTS)):
            if event.event_type in types:
                queues.setdefault(f"{kind}:{event.event_type}", []).append(event)
    cpu, store, batches = Counter[str](), Counter[str](), Counter[str]()
    for start in range(0, max(len(q) for q in queues.values()), args.batch):
        for name, events in sorted(queues.items()):
            if not (batch := events[start : start + args.batch]):
                continue
            counting.consumer, own, stored = name, time.process_time(), store_cpu()
            if name.startswith("progress:"):
                progress.apply_events(batch, days=deps.days)
            else:
                business_facts.apply_events(batch, facts=deps.facts, views=deps.order_views, values=deps.values)
            counting.consumer = ""
            cpu[name] += time.process_time() - own
            store[name] += store_cpu() - stored
            batches[name] += 1
    print(f"{sum(len(q) for q in queues.values()):,} deliveries; this process {sum(cpu.values()):.1f} s of CPU, "
          f"the store {sum(store.values()):.1f} s")  # fmt: skip
    for name, events in sorted(queues.items()):
        n = batches[name]
        print(f"{name:34} {len(events):>6,} events {n:>4} batches  cpu {cpu[name]:5.1f} s  store {store[name]:5.1f} s")
        keys = sorted((k for k in counting.commands if k[0] == name), key=lambda k: -counting.micros[k])
        for key in keys[: args.top]:
            print(f"    {key[1]:8} {key[2]:24} {counting.commands[key] / n:6.1f} commands {counting.ops[key] / n:8.1f} "
                  f"ops per batch, {counting.micros[key] / 1000:7,.0f} ms in all")  # fmt: skip
    deps.days.collection.database.client.drop_database(deps.days.collection.database.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
