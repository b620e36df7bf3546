"""Check-in latency benchmark: first check-ins of planned visits, one client and 16 clients (`make up` running).

    .venv/bin/python scripts/seed.py --reset --peak --managers 100 --customers 3000   # fresh plans
    .venv/bin/python loadtests/bench_checkin.py                                       # or: make bench-checkin
    .venv/bin/python loadtests/bench_checkin.py --single 200 --concurrent 640 --json

Every check-in goes to a different planned visit of today's plans (status `planned`, the code of
its own outlet, a fix within 15 m), so each one is the first check-in of its visit: planning moves
the visit, checkin stores the fact and publishes `checkin.recorded`. Repeated check-ins (answered
with the first one) are a different, cheaper path; `bench_ingest.py` measures those.

Runs, each bounded by a count of check-ins (so a run never touches a visit twice):
* a short warm-up (not counted);
* `--single` check-ins from one client, one after another: p50 / p99;
* `--concurrent` check-ins from `--clients` clients at once (closed loop): p99.

A run uses up its visits: reseed (first line above) before the next one. Figures are only
comparable between runs under the same conditions on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import orjson
from bench_ingest import (
    RunResult,
    closed_loop,
    gather_limited,
    login_all,
    open_connections,
    qr_codes_of,
    record_error,
    render_headers,
)
from bench_sink import Cpu
from stack_metrics import Samples, delta, scrape

from common import API, BASE_URL, auth_headers, checkin_body, location_of

Target = tuple[str, dict[str, Any]]  # manager, visit
RUN_DIR = Path(__file__).resolve().parent.parent / "var" / "run"
# The processes a check-in runs through, and those its event wakes (their CPU competes on 2 cores).
PROCESSES = (
    "gateway",
    "checkin-grpc",
    "planning-grpc",
    "mongo-checkin",
    "mongo-planning",
    "rabbitmq",
    "redis",
    "checkin-worker",
    "planning-worker",
    "analytics-worker",
    "mongo-analytics",
)
GRPC = "grpc_server_handling_seconds"
# Where a check-in's time goes, from the servers' own histograms: (label, process, metric, labels).
STAGES = (
    ("checkin RecordCheckin", "checkin-grpc", GRPC, {"grpc_method": "RecordCheckin"}),
    ("planning CheckInVisit", "planning-grpc", GRPC, {"grpc_method": "CheckInVisit"}),
    ("planning ResolveVisitForCheckin", "planning-grpc", GRPC, {"grpc_method": "ResolveVisitForCheckin"}),
    ("planning MarkCheckedIn", "planning-grpc", GRPC, {"grpc_method": "MarkCheckedIn"}),
    ("checkin publish checkin.recorded", "checkin-grpc", "baifang_event_publish_seconds", {}),
)


async def planned_visits(client: httpx.AsyncClient, tokens: dict[str, str]) -> list[Target]:
    """The `planned` visits of today's lists, interleaved across managers."""
    per_manager: dict[str, list[dict[str, Any]]] = {}

    async def visits(m: str) -> None:
        resp = await client.get(f"{API}/visits?limit=500", headers=auth_headers(tokens[m]))
        if resp.status_code != 200:
            raise SystemExit(f"bench: GET /visits as {m} answered {resp.status_code}: {resp.text[:200]}")
        per_manager[m] = [v for v in orjson.loads(resp.content)["items"] if v.get("status") == "planned"]

    await gather_limited([visits(m) for m in tokens])
    depth = max((len(v) for v in per_manager.values()), default=0)
    return [(m, per_manager[m][i]) for i in range(depth) for m in tokens if i < len(per_manager[m])]


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.targets: list[Target] = []
        self.codes: dict[str, str] = {}
        self.headers: dict[str, bytes] = {}

    async def prepare(self) -> None:
        async with httpx.AsyncClient(base_url=self.args.url, timeout=30.0) as client:
            managers = [f"m{n:03d}" for n in range(1, self.args.managers + 1)]
            tokens = await login_all(client, managers)
            self.targets = await planned_visits(client, tokens)
            self.codes = await qr_codes_of(client, {v["customer"]["id"] for _, v in self.targets})
        self.headers = {m: render_headers(auth_headers(t)) for m, t in tokens.items()}

    def take(self, n: int) -> list[tuple[str, bytes, bytes]]:
        """The next n first check-ins, as pre-built requests."""
        if n > len(self.targets):
            raise SystemExit(f"bench: {n} check-ins wanted, {len(self.targets)} planned visits left: reseed")
        chosen, self.targets = self.targets[:n], self.targets[n:]
        requests = []
        for m, visit in chosen:
            lat, lon = location_of(visit["customer"])
            body = checkin_body(self.codes[visit["customer"]["id"]], lat, lon, self.rng)
            if self.args.visit_id:
                body["visit_id"] = visit["visit_id"]
            requests.append((f"{API}/checkins", orjson.dumps(body), self.headers[m]))
        return requests

    async def run(self, name: str, clients: int, count: int) -> RunResult:
        result = RunResult(name, clients=clients)
        pending = iter(self.take(count))

        def judge(resp: Any) -> None:
            if resp.status_code == 201:
                result.accepted += 1
                result.extra[f"verdict {orjson.loads(resp.content)['verdict']}"] += 1
            else:
                record_error(result, resp)

        conns = open_connections(self.args.url, clients, "raw")
        await closed_loop(conns, 3600.0, lambda: next(pending, None), judge, result)
        return result


def stages(before: dict[str, Samples], after: dict[str, Samples], count: int) -> list[str]:
    """Mean milliseconds per check-in spent in each server stage (absent stages left out)."""
    lines = []
    for label, process, metric, labels in STAGES:
        calls = delta(before[process], after[process], f"{metric}_count", **labels)
        if calls:
            seconds = delta(before[process], after[process], f"{metric}_sum", **labels)
            lines.append(f"  {label:<34}{seconds / count * 1000:>8.1f} ms per check-in ({calls:.0f} calls)")
    return lines


def cpu_lines(cpus: dict[str, Cpu], count: int) -> list[str]:
    """CPU milliseconds per check-in of each process (pid files of `make up`), the most first."""
    spent = {}
    for name, cpu in cpus.items():
        now = cpu.seconds()
        if now is not None and cpu.start is not None and count:
            spent[name] = (now - cpu.start) / count * 1000
    if not spent:
        return []
    rows = [f"  {name:<34}{ms:>8.2f} ms CPU" for name, ms in sorted(spent.items(), key=lambda kv: -kv[1])]
    return [f"CPU per check-in: {sum(spent.values()):.1f} ms in all", *rows]


def line(r: RunResult) -> str:
    verdicts = ", ".join(f"{k.removeprefix('verdict ')} {n}" for k, n in r.extra.most_common())
    errors = f"  errors: {r.error_text()}" if r.errors else ""
    return (
        f"{r.label:<11}{r.clients:>8}{len(r.latencies):>8}{r.rate:>10,.0f}{r.pct(50):>8.1f}"
        f"{r.pct(95):>8.1f}{r.pct(99):>8.1f}{max(r.latencies, default=0) * 1000:>8.1f}  {verdicts}{errors}"
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--url", default=BASE_URL, help="the gateway (env BAIFANG_URL)")
    p.add_argument("--managers", type=int, default=100, help="managers whose plans are used (default 100)")
    p.add_argument("--warmup", type=int, default=30, help="check-ins before the timed runs (default 30)")
    p.add_argument("--single", type=int, default=300, help="check-ins of the one-client run (default 300)")
    p.add_argument("--clients", type=int, default=16, help="clients of the concurrent run (default 16)")
    p.add_argument("--concurrent", type=int, default=960, help="check-ins of the concurrent run (default 960)")
    p.add_argument("--seed", type=int, default=7, help="random seed of the fixes")
    p.add_argument("--visit-id", action="store_true", help="name the visit chosen before the scan (visit_id)")
    p.add_argument("--json", action="store_true", help="also print one JSON line of the figures")
    return p.parse_args(argv)


async def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    bench = Bench(args)
    await bench.prepare()
    print(f"bench_checkin against {args.url}: {len(bench.targets)} planned visits of {args.managers} managers")
    await bench.run("warm-up", 4, args.warmup)
    processes = {process for _, process, _, _ in STAGES}
    before = {p: scrape(p) for p in processes}
    cpus = {name: Cpu(RUN_DIR / f"{name}.pid") for name in PROCESSES}
    single = await bench.run("one client", 1, args.single)
    breakdown = stages(before, {p: scrape(p) for p in processes}, len(single.latencies))
    breakdown += cpu_lines(cpus, len(single.latencies))
    many = await bench.run("concurrent", args.clients, args.concurrent)
    print(f"{'run':<11}{'clients':>8}{'n':>8}{'ckin/s':>10}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}")
    for r in (single, many):
        print(line(r))
    print(f"one client, mean {sum(single.latencies) / max(len(single.latencies), 1) * 1000:.1f} ms, of which:")
    print("\n".join(breakdown))
    if args.json:
        figures = {
            "p50_1": round(single.pct(50), 2),
            "p99_1": round(single.pct(99), 2),
            f"p50_{args.clients}": round(many.pct(50), 2),
            f"p99_{args.clients}": round(many.pct(99), 2),
            f"rate_{args.clients}": round(many.rate, 1),
        }
        print(orjson.dumps(figures).decode())
    return 1 if single.errors or many.errors else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
