"""Demo data for the whole system (docs/api.md "Demo data"): `make seed`, and the first `make up`.

Run with the stack up: each service loads its own records through its own adapters and
publishes the events the others build their views from, so the workers must be consuming.

`--peak` (`make seed-peak`) loads the morning-peak data set instead: one manager per tablet of
the load test, 2,000 managers in 200 teams of ten, 30,000 outlets, today's plans only.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from analytics.demo import load_demo as load_analytics
from analytics.settings import AnalyticsSettings
from baifang_common import stores
from baifang_common.demo import demo_org
from baifang_common.timeutil import today
from checkin.demo import ShelfItem
from checkin.demo import load_demo as load_checkin
from checkin.settings import CheckinSettings
from collection.demo import demo_catalogue, scanner_outlets
from collection.demo import load_demo as load_collection
from collection.settings import CollectionSettings
from gateway.demo import load_demo as load_gateway
from gateway.settings import GatewaySettings
from planning.demo import load_demo as load_planning
from planning.settings import PlanningSettings

PEAK_MANAGERS = 2000
BACKGROUND = {"checkin"}  # loaders run beside the others (the retail scans: CPU and publishing only)
PEAK_CUSTOMERS = 30_000


def _run_step(name: str, step: Callable[[], dict[str, int]]) -> str:
    """One loader, and the line that reports what it loaded and how long it took."""
    start = time.perf_counter()
    counts = step()
    summary = ", ".join(f"{k} {v}" for k, v in counts.items()) or "nothing to load"
    return f"seed {name:<10} {summary} ({time.perf_counter() - start:.1f}s)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reset", action="store_true", help="drop each service's demo data first")
    parser.add_argument("--managers", type=int, help="account managers, teams of ten (50; --peak 2000)")
    parser.add_argument("--customers", type=int, help="outlets around the demo city (3000; --peak 30000)")
    parser.add_argument("--peak", action="store_true", help="the morning-peak data set: today's plans only")
    args = parser.parse_args()
    managers = args.managers or (PEAK_MANAGERS if args.peak else 50)
    customers = args.customers or (PEAK_CUSTOMERS if args.peak else 3000)
    os.environ.update(stores.service_urls())  # each service's data into its own local store
    # Bulk inserts of a whole data set: no per-operation socket limit (a request's is for serving).
    os.environ.setdefault("MONGO_SOCKET_TIMEOUT_MS", "0")

    org = demo_org(managers=managers)
    planning = PlanningSettings()
    day = today(planning.timezone)
    now = datetime.now(UTC)
    # The retail scans (checkin's demo) of the outlets with a scanner, priced from the catalogue.
    scanners = [] if args.peak else scanner_outlets(customers, org, day)
    shelf = [ShelfItem(s.sku, s.ref_pack_price_fen, s.ref_carton_price_fen) for s in demo_catalogue() if s.active]
    steps = [
        (
            "analytics",
            lambda: load_analytics(
                AnalyticsSettings(), org, today=day, reset=args.reset, customers=0 if args.peak else customers
            ),
        ),
        # After analytics' reset; needs nothing the others load, so it publishes while they load.
        (
            "checkin",
            lambda: load_checkin(
                CheckinSettings(), org, today=day, reset=args.reset, scanners=scanners, shelf=shelf, now=now
            ),
        ),
        ("gateway", lambda: load_gateway(GatewaySettings(), org, today=day, reset=args.reset)),
        (
            "collection",
            lambda: load_collection(
                CollectionSettings(), org, today=day, reset=args.reset, customers=0 if args.peak else customers
            ),
        ),
        (
            "planning",
            lambda: load_planning(planning, org, today=day, reset=args.reset, customers=customers, month=not args.peak),
        ),
    ]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="seed-background") as background:
        pending = []
        for name, step in steps:  # in order: a background loader starts once the ones before it are done
            if name in BACKGROUND:
                pending.append(background.submit(_run_step, name, step))
            else:
                print(_run_step(name, step))
        for future in pending:
            print(future.result())
    print(
        f"demo accounts: admin, {org.supervisors[0].id}..{org.supervisors[-1].id}, "
        f"{org.managers[0].id}..{org.managers[-1].id} (password: BAIFANG_DEMO_PASSWORD, default baifang-demo)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
