"""Demo data of checkin: the retail scans (§1.9) of the demo outlets whose scanner is connected (most
of those that have one), the day before yesterday, yesterday and today up to now; check-ins and
tracks come from use.

The scans travel the way a device's do (docs/api.md `POST /scans`) from the accepted batch on: each
upload is published as the `scan.batch_accepted` the ingestion would publish for it (the scans as
`validate_json_scans` accepts them, a test checks every one; the event id the ingestion gives it),
so checkin's worker files it in the scan chunks and analytics folds it into its scan views.
Deterministic for a given outlet and day (string-seeded random); a device uploads every three
hours, so a batch is the same whenever the seed runs and a re-seed adds only the uploads due
since (today's open three hours wait): replaying is a no-op downstream (the batch id is the key).

Quantities are packs: a carton scanned in is 10 packs at the wholesale price per pack (a demo
figure: `WHOLESALE` of the catalogue's carton price), sales are scanned per pack (or a carton)
at about the reference pack price. An outlet's stock starts from its delivery of the day before
yesterday (scanned purchases) and nothing is sold that is not on the shelf, so the real-time stock
never goes below zero.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from baifang_common import mongo as mongo_factory
from baifang_common.demo import DemoOrg
from baifang_common.events import ScanBatchAccepted
from baifang_common.publisher import EventPublisher
from checkin.adapters.attendance_store import AttendanceStore
from checkin.adapters.bucket_store import BucketStore
from checkin.adapters.checkin_store import CheckinStore
from checkin.adapters.gap_store import TrackingGapStore
from checkin.domain.ingest import iso_of_ms
from checkin.domain.rules import ID_NAMESPACE
from checkin.settings import CheckinSettings

SCAN_DAYS = 3  # the day before yesterday (the delivery), yesterday and today
UPLOAD_S = 3 * 3600  # a demo scanner uploads what it scanned every three hours (company time)
WHOLESALE = 0.9  # what an outlet pays per pack: 90% of the catalogue's carton price ÷ 10 (a demo figure)
PACKS_PER_CARTON = 10
CONNECTED_SHARE = 0.6  # outlets with a scanner that upload to the scan platform (about a third of all)
SILENT_SHARE = 0.08  # scanners that went quiet after the delivery day: yesterday's "no scans" list
RESTOCK_SHARE = 0.3  # outlets that got a second delivery yesterday morning
QTYS = (1, 1, 1, 1, 2)  # packs per sale scan
CARTON_SALES = 0.04  # the share of sale scans that are a whole carton
PACKS_PER_SALE = 1.6  # their mean, carton sales included
# Sales per hour of the day (company time), relative: the morning, lunch and evening peaks.
HOUR_WEIGHTS = (1, 1, 0, 0, 0, 0, 1, 4, 6, 5, 4, 5, 7, 6, 4, 4, 5, 7, 8, 8, 6, 4, 3, 2)


@dataclass(frozen=True)
class ShelfItem:
    """A catalogue SKU as a scanner prices it: the reference pack price and carton price, in fen."""

    sku: str
    pack_price_fen: int
    carton_price_fen: int


@dataclass
class _Outlet:
    """One scanning outlet's demo profile and shelf."""

    customer_id: str
    rng: random.Random
    opens: int
    closes: int
    packs_per_day: int
    skus: list[tuple[ShelfItem, float, float]]  # item, popularity, sale price (yuan)
    stock: dict[str, int]


def _outlet(customer_id: str, shelf: Sequence[ShelfItem], first_day: date) -> _Outlet:
    rng = random.Random(f"scans:{customer_id}:{first_day}")
    around_clock = rng.random() < 0.2  # a 24-hour convenience store
    chosen = rng.sample(list(shelf), min(len(shelf), rng.randint(6, 10)))
    skus = []
    for item in chosen:
        discount = 0.5 if rng.random() < 0.1 and item.pack_price_fen >= 1000 else 0.0
        skus.append((item, rng.paretovariate(1.5), item.pack_price_fen / 100 - discount))
    opens, closes = (0, 24) if around_clock else (rng.randint(6, 8), rng.randint(21, 23))
    return _Outlet(customer_id, rng, opens, closes, rng.randint(10, 40), skus, {})


# A generated scan: (epoch seconds, code, sku, qty, unit price, kind); a dict only when uploaded.
Scan = tuple[int, str, str, int, float, str]


def _delivery(outlet: _Outlet, midnight: int, days_ahead: int) -> list[Scan]:
    """A delivery scanned in one carton at a time in the morning: enough of each SKU for about
    `days_ahead` days of its expected sales."""
    rng, total = outlet.rng, sum(weight for _, weight, _ in outlet.skus)
    at = midnight + 9 * 3600 + rng.randrange(90 * 60)
    scans = []
    for item, weight, _ in outlet.skus:
        expected = outlet.packs_per_day * days_ahead * weight / total
        cartons = max(1, math.ceil(expected / PACKS_PER_CARTON) + rng.randint(-1, 1))
        wholesale = round(item.carton_price_fen * WHOLESALE / PACKS_PER_CARTON / 100, 2)
        for n in range(cartons):
            at += rng.randint(3, 20)
            code = f"C{outlet.customer_id[2:]}{at}{n:02d}"
            scans.append((at, code, item.sku, PACKS_PER_CARTON, wholesale, "purchase"))
        outlet.stock[item.sku] = outlet.stock.get(item.sku, 0) + cartons * PACKS_PER_CARTON
    return scans


def _sales(outlet: _Outlet, midnight: int, after: int) -> list[Scan]:
    """The day's sale scans in opening hours (after `after`, epoch seconds: the first delivery),
    each from the shelf: an SKU sold out is not sold."""
    rng, stock = outlet.rng, outlet.stock
    count = round(outlet.packs_per_day / PACKS_PER_SALE * rng.uniform(0.8, 1.2))
    hours = range(outlet.opens, outlet.closes)
    picked_hours = rng.choices(hours, [HOUR_WEIGHTS[h] for h in hours], k=count)
    picked_items = rng.choices(outlet.skus, [weight for _, weight, _ in outlet.skus], k=count)
    scans: list[Scan] = []
    for hour, (item, _, price) in zip(picked_hours, picked_items, strict=True):
        at = midnight + hour * 3600 + int(rng.random() * 3600)
        draw = rng.random()
        qty = PACKS_PER_CARTON if draw < CARTON_SALES else QTYS[int(draw * 1000) % len(QTYS)]
        if stock.get(item.sku, 0) < qty or at <= after:
            continue
        stock[item.sku] -= qty
        scans.append((at, f"P{outlet.customer_id[2:]}{at}{len(scans) % 100:02d}", item.sku, qty, price, "sale"))
    return scans


def demo_scans(customer_id: str, shelf: Sequence[ShelfItem], today: date, timezone: str) -> dict[date, list[Scan]]:
    """The outlet's scans per day over the SCAN_DAYS up to today (all of today's: the loader keeps
    the batches already uploaded), in device-time order; a silent scanner's stop after the first."""
    tz = ZoneInfo(timezone)
    first = today - timedelta(days=SCAN_DAYS - 1)
    outlet = _outlet(customer_id, shelf, first)
    silent = outlet.rng.random() < SILENT_SHARE
    restock = outlet.rng.random() < RESTOCK_SHARE
    days: dict[date, list[Scan]] = {}
    for n in range(SCAN_DAYS):
        day = first + timedelta(days=n)
        midnight = int(datetime.combine(day, time(0), tzinfo=tz).timestamp())
        scans = _delivery(outlet, midnight, 2 if restock else SCAN_DAYS) if n == 0 else []
        if n == 1 and restock:
            scans += _delivery(outlet, midnight, 2)
        scans += _sales(outlet, midnight, scans[-1][0] if n == 0 else 0)
        days[day] = sorted(scans)
        if silent:
            break
    return days


def connected(customer_id: str) -> bool:
    """Whether the outlet's scanner uploads (the same outlets every day)."""
    return random.Random(f"connected:{customer_id}").random() < CONNECTED_SHARE


def demo_batches(
    scanners: Sequence[str],
    shelf: Sequence[ShelfItem],
    *,
    today: date,
    now: datetime,
    timezone: str,
) -> list[ScanBatchAccepted]:
    """Each connected scanner's uploads: what it scanned in each UPLOAD_S of the day, sent when they
    end (today's: those ended by `now`); every scan passes the ingestion's validation (a test says so)."""
    tz, events, until = ZoneInfo(timezone), [], now.timestamp()
    for customer_id in filter(connected, scanners):
        device_id = f"demo-pos-{customer_id}"
        for day, scans in demo_scans(customer_id, shelf, today, timezone).items():
            midnight = int(datetime.combine(day, time(0), tzinfo=tz).timestamp())
            slots: dict[int, list[dict[str, Any]]] = {}
            for at, code, sku, qty, price, kind in scans:
                scan = {"code": code, "sku": sku, "qty": qty, "unit_price": price, "kind": kind,
                        "ts": iso_of_ms(at * 1000)}  # fmt: skip
                slots.setdefault((at - midnight) // UPLOAD_S, []).append(scan)
            for slot, batch in slots.items():
                sent = midnight + (slot + 1) * UPLOAD_S
                if sent > until:
                    break
                batch_id = f"demo-{customer_id}-{day:%Y%m%d}-{slot:02d}"
                sent_at = datetime.fromtimestamp(sent, UTC).isoformat()
                events.append(
                    ScanBatchAccepted(
                        event_id=str(uuid.uuid5(ID_NAMESPACE, f"scan.batch_accepted:{device_id}:{batch_id}")),
                        occurred_at=sent_at, batch_id=batch_id, device_id=device_id, customer_id=customer_id,
                        scans=batch, received_at=sent_at,
                    )
                )  # fmt: skip
    return events


def load_demo(
    settings: CheckinSettings,
    org: DemoOrg,
    *,
    today: date,
    reset: bool = False,
    scanners: Sequence[str] = (),
    shelf: Sequence[ShelfItem] = (),
    now: datetime | None = None,
    **_: Any,
) -> dict[str, int]:
    """Create the indexes (on reset drop earlier check-ins, attendance days, track/scan buckets and
    gaps), then publish the demo scans of the `scanners` outlets priced from the `shelf`."""
    del org  # scans belong to outlets; the parameter keeps every loader's signature alike
    mongo = mongo_factory.client(settings)
    try:
        db = mongo_factory.database(settings, mongo)
        stores = (
            CheckinStore(db["checkins"]),
            AttendanceStore(db["attendance_days"]),
            BucketStore.tracks(db["track_buckets"]),
            BucketStore.scans(db["scan_buckets"]),
            TrackingGapStore(db["tracking_gaps"]),
        )
        for store in stores:
            if reset:
                store.collection.delete_many({})
            store.ensure_indexes()
    finally:
        mongo.close()
    moment = now or datetime.now(UTC)
    events = demo_batches(scanners, shelf, today=today, now=moment, timezone=settings.timezone) if shelf else []
    EventPublisher(settings.amqp_uri).publish_bulk(events)
    return {"scanning outlets": len({e.customer_id for e in events}), "scan batches": len(events),
            "scans": sum(len(e.scans) for e in events)}  # fmt: skip
