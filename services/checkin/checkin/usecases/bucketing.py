"""Worker side of ingestion: accepted batches into hour buckets, live positions, tracking gaps.

Runs in the worker (eventlet): imports nothing that pulls in grpc. Every step is idempotent,
so a redelivered batch (worker killed mid-batch) or a replayed event changes nothing:
items are `$set` on their key, the last fix is compare-and-set, gap facts have derived ids.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from baifang_common.events import ScanBatchAccepted, TrackBatchAccepted
from checkin.adapters.bucket_store import BucketStore, BucketWrite
from checkin.adapters.gap_store import TrackingGapStore
from checkin.adapters.last_fixes import LastFixes
from checkin.domain.ingest import (
    bucket_id,
    hour_of,
    hour_start,
    local_date_of_hour,
    local_date_of_ms,
    ms_of_iso,
    newest_usable,
    scan_key,
    tracking_gaps,
)
from checkin.domain.model import GapRule, TrackingGap
from checkin.metrics import SCAN_COUNTERS, TRACK_COUNTERS

logger = logging.getLogger(__name__)


def store_track_batch(
    event: TrackBatchAccepted,
    *,
    buckets: BucketStore,
    gaps: TrackingGapStore,
    last_fixes: LastFixes,
    gap_rule: GapRule,
    max_fix_accuracy_m: float,
) -> None:
    """Points into the manager's hour buckets (device time), then last fix / live position in one
    Redis round trip, then the tracking gaps against the previous fix and within the batch."""
    start = time.perf_counter()
    rows = _track_rows(event)
    if not rows:
        return
    by_hour: dict[int, dict[str, list[Any]]] = {}
    for ms, values in rows:
        by_hour.setdefault(hour_of(ms), {})[str(ms)] = values
    timezone = gap_rule.timezone
    buckets.write(
        [
            BucketWrite(
                bucket_id(event.manager_id, hour),
                {
                    "manager_id": event.manager_id,
                    "team_id": event.team_id,
                    "hour": hour_start(hour),
                    "date": local_date_of_hour(hour, timezone),
                },
                items,
            )
            for hour, items in by_hour.items()
        ]
    )
    TRACK_COUNTERS.bucket_write_seconds.observe(time.perf_counter() - start)
    _, previous = last_fixes.remember_track(
        event.manager_id, event.team_id, newest_usable(rows, max_fix_accuracy_m), event.batch_id
    )
    previous_ms = round(previous.taken_at.timestamp() * 1000) if previous is not None else None
    spans = tracking_gaps(sorted({ms for ms, _ in rows}), previous_ms=previous_ms, rule=gap_rule)
    gaps.record(
        [
            TrackingGap(event.manager_id, event.team_id, first, last, local_date_of_ms(first, timezone))
            for first, last in spans
        ]
    )
    TRACK_COUNTERS.stored.inc(len(rows))


def _track_rows(event: TrackBatchAccepted) -> list[tuple[int, list[Any]]]:
    """(device ms, [lat, lon, accuracy_m, speed_mps, heading]) of the batch's points with a valid ts."""
    rows: list[tuple[int, list[Any]]] = []
    for point in event.points:
        ms = ms_of_iso(point.get("ts"))
        if ms is None:
            continue
        rows.append(
            (ms, [point["lat"], point["lon"], point["accuracy_m"], point.get("speed_mps"), point.get("heading")])
        )
    if len(rows) != len(event.points):
        logger.warning(
            "points without a valid ts skipped: %d of batch %s", len(event.points) - len(rows), event.batch_id
        )
    return rows


def store_scan_batch(event: ScanBatchAccepted, *, buckets: BucketStore, timezone: str) -> None:
    """Scans into the outlet's hour buckets, keyed by scan identity (code + device time)."""
    start = time.perf_counter()
    by_hour: dict[int, dict[str, list[Any]]] = {}
    stored = 0
    for scan in event.scans:
        ms = ms_of_iso(scan.get("ts"))
        if ms is None:
            continue
        code = scan["code"]
        by_hour.setdefault(hour_of(ms), {})[scan_key(code, ms)] = [
            code,
            scan["sku"],
            scan["qty"],
            scan["unit_price"],
            scan["kind"],
            event.device_id,
        ]
        stored += 1
    if stored != len(event.scans):
        logger.warning("scans without a valid ts skipped: %d of batch %s", len(event.scans) - stored, event.batch_id)
    buckets.write(
        [
            BucketWrite(
                bucket_id(event.customer_id, hour),
                {
                    "customer_id": event.customer_id,
                    "hour": hour_start(hour),
                    "date": local_date_of_hour(hour, timezone),
                },
                items,
            )
            for hour, items in by_hour.items()
        ]
    )
    SCAN_COUNTERS.bucket_write_seconds.observe(time.perf_counter() - start)
    SCAN_COUNTERS.stored.inc(stored)
