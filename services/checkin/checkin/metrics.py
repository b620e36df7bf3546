"""Checkin's own metrics (the gRPC and event metrics come from baifang_common).

Ingestion counts per batch (`inc(n)`) on label children bound once, never per point.
"""

from __future__ import annotations

from prometheus_client import Counter

from baifang_common.metrics import counter, gauge, histogram
from checkin.domain.model import RejectReason

CHECKIN_VERDICTS = counter("baifang_checkin_verdicts_total", "Check-ins recorded, by geofence verdict", ("verdict",))
SYNC_OPS = counter(
    "baifang_sync_ops_total", "Offline-batch operations answered, by type and status", ("type", "status")
)

INGEST_POINTS = counter(
    "baifang_ingest_points_total",
    "Track points / scans by outcome: accepted (durable in the queue), rejected (by reason), stored (by the worker)",
    ("kind", "result", "reason"),
)
INGEST_BATCH_POINTS = histogram(
    "baifang_ingest_batch_points",
    "Points / scans per received batch",
    ("kind",),
    buckets=(1, 10, 50, 100, 250, 500, 1000, 2000),
)
INGEST_SECONDS = histogram("baifang_ingest_seconds", "Batch accept time, parse to confirmed publish", ("kind",))
INGEST_CONFIRM_SECONDS = histogram(
    "baifang_ingest_confirm_seconds", "Publish of one batch until the broker confirmed it", ("kind",)
)
INGEST_QUEUE_DEPTH = gauge("baifang_ingest_queue_depth", "Messages waiting in a worker queue", ("queue",))
INGEST_BUCKET_WRITE_SECONDS = histogram(
    "baifang_ingest_bucket_write_seconds",
    "Worker: parsing a consumed batch of accepted batches and inserting their chunk documents",
    ("kind",),
)

TRACK, SCAN = "track", "scan"


class IngestCounters:
    """Pre-bound children of baifang_ingest_points_total for one kind (track | scan)."""

    def __init__(self, kind: str) -> None:
        self.accepted: Counter = INGEST_POINTS.labels(kind, "accepted", "")
        self.stored: Counter = INGEST_POINTS.labels(kind, "stored", "")
        self.rejected: dict[str, Counter] = {
            r.value: INGEST_POINTS.labels(kind, "rejected", r.value) for r in RejectReason
        }
        self.batch_points = INGEST_BATCH_POINTS.labels(kind)
        self.seconds = INGEST_SECONDS.labels(kind)
        self.confirm_seconds = INGEST_CONFIRM_SECONDS.labels(kind)
        self.bucket_write_seconds = INGEST_BUCKET_WRITE_SECONDS.labels(kind)

    def count_rejected(self, rejected: list[tuple[int, str]]) -> None:
        if not rejected:
            return
        by_reason: dict[str, int] = {}
        for _, reason in rejected:
            by_reason[reason] = by_reason.get(reason, 0) + 1
        for reason, n in by_reason.items():
            self.rejected[reason].inc(n)


TRACK_COUNTERS = IngestCounters(TRACK)
SCAN_COUNTERS = IngestCounters(SCAN)
