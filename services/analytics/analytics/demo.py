"""Analytics demo data: the managers' targets (P-002-T1), which the admin import would bring; the
read models fill from the other services' events."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from analytics.bootstrap import business_stores, day_progress_store, scan_store, targets_store
from analytics.domain.business import months_back
from analytics.domain.indicators import Target, week_of
from analytics.settings import AnalyticsSettings
from baifang_common import mongo
from baifang_common.demo import DemoOrg
from baifang_common.timeutil import iso, now_utc

# What a demo outlet orders in a month (collection's demo: every 2–4 weeks, 1–3 lines of 1–5
# cartons) and the share of each key brand in it: the targets sit around what the demo achieves.
CARTONS_PER_OUTLET_MONTH = 9
BRAND_SHARE = {"黄山": 0.13, "中华": 0.08}
VALUE_PER_CARTON_FEN = 22_000


def demo_targets(org: DemoOrg, today: date, customers: int, key_brands: tuple[str, ...]) -> list[Target]:
    """Each manager's targets for this month and the two before, this week and the four before."""
    rng = random.Random(2014)
    outlets = customers / max(1, len(org.managers))
    periods = [(m, 1.0) for m in months_back(today.isoformat()[:7], 3)]
    periods += [(week_of(today - timedelta(weeks=n)), 7 / 30) for n in range(5)]
    targets = []
    for manager in org.managers:
        for period, share in periods:
            volume = round(outlets * CARTONS_PER_OUTLET_MONTH * share * rng.uniform(0.85, 1.2))
            brands = tuple((b, round(volume * BRAND_SHARE.get(b, 0.05))) for b in key_brands)
            targets.append(
                Target(manager_id=manager.id, period=period, team_id=manager.team_id, volume=volume,
                       key_brands=brands, value_per_carton_fen=round(VALUE_PER_CARTON_FEN * rng.uniform(0.9, 1.1)),
                       plan_execution_pct=float(rng.choice((85, 90, 95))))
            )  # fmt: skip
    return targets


def load_demo(
    settings: AnalyticsSettings,
    org: DemoOrg,
    *,
    today: date,
    reset: bool = False,
    customers: int = 3000,
    **_: Any,
) -> dict[str, int]:
    """With reset, drop the analytics database so replayed demo events rebuild it from scratch (its
    indexes created again); then the demo targets (written as the import writes them).

    Other services' size knobs are accepted and ignored, so seed.py can pass one set.
    """
    client = mongo.client(settings)
    try:
        if reset:
            client.drop_database(settings.mongo_db)
            # The running worker created its indexes at start: without them every read by customer
            # scans a whole collection (the seed's absorption took minutes).
            business_stores(settings, client)
            day_progress_store(settings, client)
            scan_store(settings, client)
        targets = demo_targets(org, today, customers, settings.key_brands) if customers else []
        targets_store(settings, client).save(targets, "demo", iso(now_utc()))
    finally:
        client.close()
    return {"targets": len(targets)}
