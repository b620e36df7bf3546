"""The demo retail scans (checkin/demo.py): uploads the ingestion would accept as they are, priced from
the shelf, never selling what the shelf lacks, and the same batches whenever the seed runs."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from checkin import demo
from checkin.demo import ShelfItem, demo_batches
from checkin.domain.ingest import ms_of_iso, validate_json_scans
from checkin.domain.model import IngestLimits

TZ = "Asia/Shanghai"
TODAY = date(2025, 3, 3)
AFTERNOON = datetime(2025, 3, 3, 7, 0, tzinfo=UTC)  # 15:00 in Shanghai
SHELF = [
    ShelfItem("SKU001", 4500, 45000),
    ShelfItem("SKU006", 1500, 15000),
    ShelfItem("SKU011", 1100, 11000),
    ShelfItem("SKU019", 750, 7500),
    ShelfItem("SKU025", 700, 7000),
    ShelfItem("SKU033", 500, 5000),
    ShelfItem("SKU041", 500, 4800),
    ShelfItem("SKU042", 300, 2800),
    ShelfItem("SKU043", 450, 4400),
    ShelfItem("SKU014", 2500, 25000),
]
OUTLETS = [f"cu{n:06d}" for n in range(1, 121)]


def test_every_upload_passes_the_ingestion_and_the_shelf_never_runs_dry() -> None:
    events = demo_batches(OUTLETS, SHELF, today=TODAY, now=AFTERNOON, timezone=TZ)
    prices = {item.sku: item for item in SHELF}
    stock: Counter[tuple[str, str]] = Counter()
    days: dict[str, set[str]] = {}
    for event in events:
        sent_ms = ms_of_iso(event.received_at)
        assert sent_ms is not None and sent_ms <= AFTERNOON.timestamp() * 1000
        validated = validate_json_scans(event.scans, now_ms=sent_ms, limits=IngestLimits())
        assert validated.rejected == [] and validated.items == event.scans
        for scan in event.scans:
            item = prices[scan["sku"]]
            if scan["kind"] == "sale":
                assert item.pack_price_fen / 100 - 0.5 <= scan["unit_price"] <= item.pack_price_fen / 100
                stock[event.customer_id, scan["sku"]] -= scan["qty"]
            else:
                assert scan["unit_price"] == round(item.carton_price_fen * 0.9 / 1000, 2) and scan["qty"] == 10
                stock[event.customer_id, scan["sku"]] += scan["qty"]
        days.setdefault(event.customer_id, set()).add(event.batch_id.split("-")[2])
    assert len({e.event_id for e in events}) == len({e.batch_id for e in events}) == len(events)
    assert min(stock.values()) >= 0 and sum(stock.values()) > 0
    connected = [cid for cid in OUTLETS if demo.connected(cid)]
    assert set(days) == set(connected) and len(OUTLETS) // 2 < len(connected) < len(OUTLETS)  # the delivery day
    yesterday = f"{TODAY - timedelta(days=1):%Y%m%d}"
    silent = [cid for cid, seen in days.items() if yesterday not in seen]
    assert 0 < len(silent) < len(connected) // 4  # a few scanners went quiet: yesterday's "no scans" list
    assert any(f"{TODAY:%Y%m%d}" in seen for seen in days.values())


def test_a_later_seed_sends_the_same_batches_and_those_due_since() -> None:
    morning = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    early = {e.batch_id: e.to_body() for e in demo_batches(OUTLETS[:30], SHELF, today=TODAY, now=morning, timezone=TZ)}
    late = {e.batch_id: e.to_body() for e in demo_batches(OUTLETS[:30], SHELF, today=TODAY, now=AFTERNOON, timezone=TZ)}
    assert {batch_id: late[batch_id] for batch_id in early} == early
    added = {batch_id for batch_id in late if batch_id not in early}
    assert added and all(batch_id.split("-")[2] == f"{TODAY:%Y%m%d}" for batch_id in added)
    assert max(ms_of_iso(body["received_at"]) or 0 for body in late.values()) <= AFTERNOON.timestamp() * 1000
