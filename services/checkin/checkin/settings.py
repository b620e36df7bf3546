"""Checkin's own knobs (env prefix CHECKIN_), beside the shared infrastructure settings."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from baifang_common.settings import ServiceSettings


class CheckinSettings(ServiceSettings):
    service: ClassVar[str] = "checkin"
    model_config = SettingsConfigDict(env_prefix="CHECKIN_", extra="ignore", populate_by_name=True, frozen=True)

    # Geofence verdict thresholds (docs/domain.md §3.5 decision 11).
    geofence_m: float = 200.0
    max_accuracy_m: float = 100.0
    max_fix_age_s: float = 120.0
    max_speed_kmh: float = 120.0
    # Deadlines of the calls to planning, in seconds.
    planning_checkin_timeout_s: float = 2.0

    # Ingestion of GPS track and retail scan batches (issue 3).
    max_batch_points: int = 1000
    max_batch_scans: int = 1000
    track_max_accuracy_m: float = 500.0
    track_max_speed_mps: float = 100.0
    max_future_s: float = 300.0
    max_age_s: float = 7 * 24 * 3600.0
    scan_max_qty: int = 100_000
    scan_max_unit_price: float = 1_000_000.0
    # A tracking gap: consecutive fixes further apart than this, both inside the working day.
    track_gap_minutes: float = 15.0
    work_day_start: str = "08:00"
    work_day_end: str = "19:00"
    # Back-pressure: refuse batches (503 + Retry-After) above this worker-queue depth.
    max_queue_depth: int = 5000
    queue_depth_cache_s: float = 1.0
    retry_after_s: int = 2

    # Compaction of track and scan chunks: every interval, merge the chunks of hours that ended
    # more than `compact_after_s` ago, at most `compact_buckets` hour buckets per collection.
    compact_interval_s: float = 600.0
    compact_after_s: float = 2 * 3600.0
    compact_buckets: int = 500

    # Offline batches (POST /sync): most operations per batch, deadline of each planning call.
    max_sync_ops: int = 200
    planning_work_timeout_s: float = 5.0

    # Supervisor views: a stop lasts longer than `stop_min_s` within `stop_radius_m` (metres).
    stop_min_s: float = 300.0
    stop_radius_m: float = 50.0
