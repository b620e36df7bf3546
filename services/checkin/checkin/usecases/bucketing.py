"""Worker side of ingestion: accepted batches into hour chunks, live positions, tracking gaps.

Runs in the worker (eventlet): imports nothing that pulls in grpc. The worker hands over many
accepted batches at once (a batched consumer), and each step is one round trip for all of
them: one insert of chunk documents, one Redis pipeline, one insert of gap facts. Every step
is idempotent, so a redelivered batch (worker killed before its ack) or a replayed event
changes nothing: chunk ids derive from the batch id (a duplicate key is a no-op), the last
fix is compare-and-set, gap facts have derived ids.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from baifang_common.events import ScanBatchAccepted, TrackBatchAccepted
from checkin.adapters.bucket_store import BucketStore, Chunk, Row
from checkin.adapters.gap_store import TrackingGapStore
from checkin.adapters.last_fixes import LastFixes, TrackFix
from checkin.domain.ingest import (
    bucket_id,
    hour_of,
    hour_start,
    local_date_of_hour,
    local_date_of_ms,
    ms_of_iso,
    newest_usable,
    tracking_gaps,
)
from checkin.domain.model import GapRule, TrackingGap
from checkin.metrics import SCAN_COUNTERS, TRACK_COUNTERS

logger = logging.getLogger(__name__)


def track_rows(event: TrackBatchAccepted) -> list[Row]:
    """(t, lat, lon, accuracy, speed, heading) of the batch's points in device-time order."""
    rows: list[Row] = []
    for point in event.points:
        ms = ms_of_iso(point.get("ts"))
        if ms is None:
            continue
        rows.append((ms, point["lat"], point["lon"], point["accuracy_m"], point.get("speed_mps"), point.get("heading")))
    if len(rows) != len(event.points):
        logger.warning(
            "points without a valid ts skipped: %d of batch %s", len(event.points) - len(rows), event.batch_id
        )
    rows.sort(key=lambda row: row[0])
    return rows


def scan_rows(event: ScanBatchAccepted) -> list[Row]:
    """(t, code, sku, qty, unit_price, kind, device) of the batch's scans in device-time order."""
    rows: list[Row] = []
    for scan in event.scans:
        ms = ms_of_iso(scan.get("ts"))
        if ms is None:
            continue
        rows.append((ms, scan["code"], scan["sku"], scan["qty"], scan["unit_price"], scan["kind"], event.device_id))
    if len(rows) != len(event.scans):
        logger.warning("scans without a valid ts skipped: %d of batch %s", len(event.scans) - len(rows), event.batch_id)
    rows.sort(key=lambda row: row[0])
    return rows


def chunks_of(owner_id: str, batch_id: str, rows: Sequence[Row], head: dict[str, Any], timezone: str) -> list[Chunk]:
    """One chunk per hour (UTC, device time) the rows fall in; `head` adds the owner's fields."""
    by_hour: dict[int, list[Row]] = {}
    for row in rows:
        by_hour.setdefault(hour_of(row[0]), []).append(row)
    return [
        Chunk(
            bucket_id(owner_id, hour),
            batch_id,
            {**head, "hour": hour_start(hour), "date": local_date_of_hour(hour, timezone)},
            hour_rows,
        )
        for hour, hour_rows in by_hour.items()
    ]


def store_track_batches(
    events: Sequence[TrackBatchAccepted],
    *,
    buckets: BucketStore,
    gaps: TrackingGapStore,
    last_fixes: LastFixes,
    gap_rule: GapRule,
    max_fix_accuracy_m: float,
) -> None:
    """Points into their managers' hour chunks, then every batch's newest usable point as last fix
    and live position (one Redis pipeline, in delivery order), then the tracking gaps against
    the fix before each batch and within it."""
    start = time.perf_counter()
    timezone = gap_rule.timezone
    parsed: list[tuple[TrackBatchAccepted, list[Row]]] = []
    chunks: list[Chunk] = []
    for event in events:
        rows = track_rows(event)
        if not rows:
            continue
        parsed.append((event, rows))
        head = {"manager_id": event.manager_id, "team_id": event.team_id}
        chunks.extend(chunks_of(event.manager_id, event.batch_id, rows, head, timezone))
    if not parsed:
        return
    buckets.insert(chunks)
    TRACK_COUNTERS.bucket_write_seconds.observe(time.perf_counter() - start)
    previous = last_fixes.remember_tracks(
        [
            TrackFix(event.manager_id, event.team_id, newest_usable(rows, max_fix_accuracy_m), event.batch_id)
            for event, rows in parsed
        ]
    )
    found: list[TrackingGap] = []
    for (event, rows), before in zip(parsed, previous, strict=True):
        previous_ms = round(before.taken_at.timestamp() * 1000) if before is not None else None
        spans = tracking_gaps(sorted({row[0] for row in rows}), previous_ms=previous_ms, rule=gap_rule)
        found.extend(
            TrackingGap(event.manager_id, event.team_id, first, last, local_date_of_ms(first, timezone))
            for first, last in spans
        )
    gaps.record(found)
    retract_filled_gaps(parsed, gaps=gaps, gap_rule=gap_rule)
    TRACK_COUNTERS.stored.inc(sum(len(rows) for _, rows in parsed))


def retract_filled_gaps(
    parsed: Sequence[tuple[TrackBatchAccepted, list[Row]]], *, gaps: TrackingGapStore, gap_rule: GapRule
) -> None:
    """A late upload with fixes inside a recorded gap retracts it; what remains of it between the
    new fixes (spans still longer than the rule) is recorded first, so a crash in between leaves the
    gap live and the redelivered batch does the same again."""
    times: dict[str, list[int]] = {}
    teams: dict[str, str] = {}
    for event, rows in parsed:
        times.setdefault(event.manager_id, []).extend(row[0] for row in rows)
        teams[event.manager_id] = event.team_id
    low = min(min(t) for t in times.values())
    high = max(max(t) for t in times.values())
    filled: list[str] = []
    remaining: list[TrackingGap] = []
    for gap in gaps.live_overlapping(sorted(times), low, high):
        start, end, manager = int(gap["start_ms"]), int(gap["end_ms"]), str(gap["manager_id"])
        inside = sorted({t for t in times.get(manager, ()) if start < t < end})
        if not inside:
            continue
        filled.append(str(gap["_id"]))
        team = str(gap.get("team_id") or teams.get(manager, ""))
        remaining.extend(
            TrackingGap(manager, team, first, last, local_date_of_ms(first, gap_rule.timezone))
            for first, last in tracking_gaps([start, *inside, end], previous_ms=None, rule=gap_rule)
        )
    if filled:
        gaps.record(remaining)
        gaps.retract(filled)
        logger.info("tracking gaps retracted after a late upload: %d", len(filled))


def store_scan_batches(events: Sequence[ScanBatchAccepted], *, buckets: BucketStore, timezone: str) -> None:
    """Scans into their outlets' hour chunks, one insert for all the batches."""
    start = time.perf_counter()
    chunks: list[Chunk] = []
    stored = 0
    for event in events:
        rows = scan_rows(event)
        stored += len(rows)
        chunks.extend(chunks_of(event.customer_id, event.batch_id, rows, {"customer_id": event.customer_id}, timezone))
    buckets.insert(chunks)
    SCAN_COUNTERS.bucket_write_seconds.observe(time.perf_counter() - start)
    SCAN_COUNTERS.stored.inc(stored)


def compact_closed_hours(stores: Sequence[BucketStore], *, closed_before: datetime, limit: int) -> int:
    """Merge the chunks of hours that ended before `closed_before` (at most `limit` buckets per
    store per call); returns the chunk documents replaced. A late chunk of a merged hour is
    merged again next time, with the merged document."""
    replaced = 0
    for store in stores:
        for bucket in store.buckets_to_compact(closed_before, limit):
            replaced += store.compact(bucket)
    if replaced:
        logger.info("compacted %d chunk documents", replaced)
    return replaced
