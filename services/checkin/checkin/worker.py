"""CheckinWorker (nameko): consumed events, each handler one line into a use case.

The track and scan sinks are batched consumers: many accepted batches per call, one chunk
insert for all of them. The handler method names fix the queue names, which the gRPC process
declares ahead of the worker (adapters/ingest_queues.py: TRACK_HANDLER, SCAN_HANDLER) — rename
both together.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from nameko.timer import Timer

from baifang_common.events import CheckinRecorded, ScanBatchAccepted, TrackBatchAccepted
from baifang_common.logging import configure_logging
from baifang_common.worker import (
    SETTINGS_KEY,
    Deps,
    RequestId,
    batch_event_handler,
    run_worker,
)
from checkin import bootstrap
from checkin.settings import CheckinSettings
from checkin.usecases.attendance import record_attendance_facts
from checkin.usecases.bucketing import compact_closed_hours, store_scan_batches, store_track_batches
from checkin.usecases.views import remember_current_visit


class CompactionTimer(Timer):  # type: ignore[misc]
    """nameko's Timer with its interval taken from the settings (CHECKIN_COMPACT_INTERVAL_S)."""

    def setup(self) -> None:
        self.interval = self.container.config[SETTINGS_KEY].compact_interval_s


class CheckinWorker:
    name = "checkin"
    deps = Deps(bootstrap.build_worker)
    request_id = RequestId()

    @batch_event_handler("checkin", "checkin.recorded", dedupe=False)
    def on_checkin_recorded(self, bodies: list[dict[str, Any]]) -> None:
        events = [CheckinRecorded.from_body(body) for body in bodies]
        record_attendance_facts(events, attendance=self.deps.attendance)
        if self.deps.live_positions is not None:
            for event in events:  # newest wins whatever the order: a replay changes nothing
                remember_current_visit(event, live=self.deps.live_positions)

    # Tracks and scans skip the inbox: their chunks' ids derive from the batch id (a redelivery is a
    # duplicate key) and the last fix is compare-and-set, so a redelivered batch changes nothing anyway.
    @batch_event_handler("checkin", "track.batch_accepted", dedupe=False)
    def on_track_batch_accepted(self, bodies: list[dict[str, Any]]) -> None:
        d = self.deps
        store_track_batches(
            [TrackBatchAccepted.from_body(body) for body in bodies],
            buckets=d.track_buckets,
            gaps=d.gaps,
            last_fixes=d.last_fixes,
            gap_rule=d.gap_rule,
            max_fix_accuracy_m=d.thresholds.max_accuracy_m,
        )

    @batch_event_handler("checkin", "scan.batch_accepted", dedupe=False)
    def on_scan_batch_accepted(self, bodies: list[dict[str, Any]]) -> None:
        store_scan_batches(
            [ScanBatchAccepted.from_body(body) for body in bodies],
            buckets=self.deps.scan_buckets,
            timezone=self.deps.settings.timezone,
        )

    @CompactionTimer.decorator(interval=600.0)
    def compact_chunks(self) -> None:
        s = self.deps.settings
        compact_closed_hours(
            [self.deps.track_buckets, self.deps.scan_buckets],
            closed_before=datetime.now(UTC) - timedelta(seconds=s.compact_after_s),
            limit=s.compact_buckets,
        )


def run() -> None:
    settings = CheckinSettings()
    configure_logging("checkin", "worker", settings.log_level)
    run_worker(CheckinWorker, settings)
