"""Re-judge every customer's value class from the stored order facts: `make recompute-customer-values`.

The worker runs this once a company day by itself (its timer, customer_value.judge_the_day), besides
recomputing a customer whenever its orders change; this is the same run by hand, e.g. after the
thresholds changed: it moves the purchase window on for customers who stopped ordering and
lengthens everyone's tenure. The history is judged whole with the class (the class at
every month's end since the first order, from the order facts), so running it twice a day adds nothing.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date

from analytics.bootstrap import business_stores, value_book
from analytics.settings import AnalyticsSettings
from analytics.usecases import customer_value
from baifang_common import mongo, stores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--on", type=date.fromisoformat, default=None, help="judge as of YYYY-MM-DD (default today)")
    args = parser.parse_args()
    os.environ.update(stores.service_urls())  # the local stack's analytics store, unless ANALYTICS_MONGO_URL says
    settings = AnalyticsSettings()
    client = mongo.client(settings)
    try:
        facts, _ = business_stores(settings, client)
        start = time.perf_counter()
        count = customer_value.recompute_all(facts=facts, book=value_book(settings, client), on=args.on)
        print(f"recomputed the value class of {count} customers in {time.perf_counter() - start:.1f}s")
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
