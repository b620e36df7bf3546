"""Analytics demo data: nothing to write, the read models fill from the other services' events."""

from __future__ import annotations

from datetime import date
from typing import Any

from analytics.settings import AnalyticsSettings
from baifang_common import mongo
from baifang_common.demo import DemoOrg


def load_demo(
    settings: AnalyticsSettings, org: DemoOrg, *, today: date, reset: bool = False, **_: Any
) -> dict[str, int]:
    """With reset, drop the analytics database so replayed demo events rebuild it from scratch.

    Other services' size knobs (customers=…) are accepted and ignored, so seed.py can pass one set.
    """
    if reset:
        client = mongo.client(settings)
        try:
            client.drop_database(settings.mongo_db)
        finally:
            client.close()
    return {}
