"""Rebuild analytics' order views from the business facts it stored: `make rebuild-analytics`.

The facts (biz_* collections, services/analytics/analytics/adapters/facts_store.py) are what the
worker kept from the events; the order views (order_rows, and order_summaries
summed from the rows per manager's month and team) are a pure function of them, so emptying and
recomputing them gives what the incremental worker built (a test checks it). The views are
empty while it runs (under a minute for three months of 3,000 outlets). Run it with the
analytics worker stopped or idle: a batch applied during the rebuild may be overwritten with the
figures from before it, until that customer's next event. It also gives the day-progress documents
written before they had one their `month` and `team_month`, and counts every day's planned and
completed visits again (`day_counts`, `month_counts`: what the indicators read a period by), and
puts the latest terminal facts kept before the terminal history existed into it (the quality
trend of §1.6.5 reads the history; versions already there are rewritten unchanged), and the latest
activity dates of every outlet (the functional analysis of §1.6.4) from the stored visits,
collections, order lines and scan days.

Every customer's value class and its history are judged again from the order facts (the history
is the class at every month's end since the first order: what the worker kept, for the same day).

The group views' summaries are rebuilt with them: the forecast summaries (from the order
summaries), the owner rosters with each customer's tier, the completed visits per customer
and day and month (`visit_day_tallies`, `visit_month_tallies`) from the visit facts, and the
scan figures of every outlet per day (`scan_day_outlets`, `scan_day_summaries`) from the scan days.
"""

from __future__ import annotations

import argparse
import os
import time

import analytics.usecases.terminal_views as terminal_views
from analytics.bootstrap import business_stores, day_progress_store, scan_store, value_book
from analytics.settings import AnalyticsSettings
from analytics.usecases import customer_value, order_views, scan_views, visit_frequency
from baifang_common import mongo, stores


def main() -> int:
    argparse.ArgumentParser(description=__doc__).parse_args()
    os.environ.update(stores.service_urls())  # the local stack's analytics store, unless ANALYTICS_MONGO_URL says
    settings = AnalyticsSettings()
    client = mongo.client(settings)
    try:
        facts, views = business_stores(settings, client)
        start = time.perf_counter()
        keys = order_views.rebuild(facts=facts, views=views)
        print(f"rebuilt the order views of {keys} (customer, month) keys in {time.perf_counter() - start:.1f}s")
        start = time.perf_counter()
        judged = customer_value.rebuild(facts=facts, book=value_book(settings, client))
        print(f"judged the value class and history of {judged} customers in {time.perf_counter() - start:.1f}s")
        if views.visit_tallies is not None:
            counted = visit_frequency.rebuild_tallies(facts=facts, tallies=views.visit_tallies)
            print(f"summed the completed visits of {counted} months per customer")
        days = day_progress_store(settings, client)
        print(f"gave {days.backfill_months()} day-progress documents their month")
        print(f"counted the visits of {days.recount()} days")
        print(f"kept the latest of {facts.backfill_terminal_history()} terminal facts in the terminal history")
        outlets = facts.backfill_last_activity()
        scans = scan_store(settings, client)
        scanned = scan_views.backfill_last_scans(scans=scans, facts=facts)
        print(f"summed the scan figures of {scan_views.rebuild_day_rows(scans=scans)} outlet-days per day")
        print(f"latest activity dates of {outlets} outlets (visits, collections, orders), {scanned} scanning")
        # Last, from the rosters, terminal history and activity dates: the terminal analyses' summaries.
        start = time.perf_counter()
        outlets = terminal_views.rebuild(book=terminal_views.book_of(facts))
        print(f"rebuilt the terminal rows and summaries of {outlets} outlets in {time.perf_counter() - start:.1f}s")
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
