"""Import benchmark: a 10,000-customer file through `POST /admin/import/customers` (a running stack).

    .venv/bin/python loadtests/bench_import.py                       # make up on the default ports
    .venv/bin/python loadtests/bench_import.py --url http://127.0.0.1:8080 --customers 10000

Builds the file as the marketing system would send it (JSON lines; outlets as planning's demo
loader makes them, spread over the demo managers, with ids of their own so the demo's customers
are untouched), imports it as admin, polls the background job until it is done and prints the
time from upload to the last row applied (target: under a minute), then imports the same file
again and prints that time too (every row `unchanged`). Figures only.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

import httpx
import orjson

from baifang_common.demo import demo_org
from planning.demo import make_customers

TARGET_SECONDS = 60.0


def build_file(count: int, managers: int, seed: int, prefix: str) -> bytes:
    outlets = make_customers(demo_org(managers=managers), count, random.Random(seed))
    rows = [
        {
            "id": f"{prefix}{c.id[2:]}",
            "code": f"{prefix.upper()}{c.code[1:]}",
            "name": c.name,
            "manager_id": c.manager_id,
            "short_code": c.short_code,
            "licence_no": c.licence_no,
            "address": c.address,
            "lat": c.lat,
            "lon": c.lon,
            "star": c.star,
            "terminal_type": c.terminal_type,
            "credit_grade": c.credit_grade,
            "value_class": c.value_class,
            "order_type": c.order_type,
            "settlement_method": c.settlement_method,
            "phone": c.phone,
        }
        for c in outlets
    ]
    return b"\n".join(orjson.dumps(r) for r in rows)


def run_once(client: httpx.Client, body: bytes) -> tuple[float, dict[str, object]]:
    started = time.perf_counter()
    answer = client.post("/admin/import/customers", content=body, headers={"Content-Type": "application/x-ndjson"})
    answer.raise_for_status()
    job = answer.json()
    while answer.status_code == 202 and job["status"] == "running":
        time.sleep(0.25)
        job = client.get(f"/admin/imports/{job['job_id']}").json()
    elapsed = time.perf_counter() - started
    report = job.get("report", job)
    return elapsed, {"status": job.get("status", "done"), **report, "rejected": len(report["rejected"])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--managers", type=int, default=50, help="the demo org's managers (make seed: 50)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--prefix", default="bi", help="customer ids and codes start with it (a new one: new rows)")
    args = parser.parse_args()
    body = build_file(args.customers, args.managers, args.seed, args.prefix)
    password = os.environ.get("BAIFANG_DEMO_PASSWORD", "baifang-demo")
    with httpx.Client(base_url=f"{args.url}/api/v1", timeout=120) as client:
        login = client.post("/auth/login", json={"username": "admin", "password": password})
        login.raise_for_status()
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        print(f"file: {args.customers} customers, {len(body) / 1024 / 1024:.1f} MiB of JSON lines")
        first, report = run_once(client, body)
        print(f"first import: {first:.1f}s ({args.customers / first:.0f} rows/s) {report}")
        again, report = run_once(client, body)
        print(f"re-import:    {again:.1f}s ({args.customers / again:.0f} rows/s) {report}")
    verdict = "within" if first < TARGET_SECONDS else "OVER"
    print(f"{verdict} the {TARGET_SECONDS:.0f} s target")
    return 0 if first < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
