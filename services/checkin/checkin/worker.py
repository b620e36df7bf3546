"""CheckinWorker (nameko): consumed events, each handler one line into a use case.

The handler method names fix nameko's queue names, which the gRPC process declares ahead of
the worker (adapters/ingest_queues.py: TRACK_HANDLER, SCAN_HANDLER) — rename both together.
"""

from __future__ import annotations

from typing import Any

from baifang_common.events import CheckinRecorded, ScanBatchAccepted, TrackBatchAccepted
from baifang_common.logging import configure_logging
from baifang_common.worker import Deps, RequestId, reliable_event_handler, run_worker
from checkin import bootstrap
from checkin.settings import CheckinSettings
from checkin.usecases.attendance import record_attendance_fact
from checkin.usecases.bucketing import store_scan_batch, store_track_batch


class CheckinWorker:
    name = "checkin"
    deps = Deps(bootstrap.build_worker)
    request_id = RequestId()

    @reliable_event_handler("checkin", "checkin.recorded")
    def on_checkin_recorded(self, body: dict[str, Any]) -> None:
        record_attendance_fact(CheckinRecorded.from_body(body), attendance=self.deps.attendance)

    # Tracks and scans skip the inbox: their writes are `$set` on keys derived from device time
    # (and the last fix is compare-and-set), so a redelivered batch changes nothing anyway.
    @reliable_event_handler("checkin", "track.batch_accepted", dedupe=False)
    def on_track_batch_accepted(self, body: dict[str, Any]) -> None:
        d = self.deps
        store_track_batch(
            TrackBatchAccepted.from_body(body),
            buckets=d.track_buckets,
            gaps=d.gaps,
            last_fixes=d.last_fixes,
            gap_rule=d.gap_rule,
            max_fix_accuracy_m=d.thresholds.max_accuracy_m,
        )

    @reliable_event_handler("checkin", "scan.batch_accepted", dedupe=False)
    def on_scan_batch_accepted(self, body: dict[str, Any]) -> None:
        store_scan_batch(
            ScanBatchAccepted.from_body(body), buckets=self.deps.scan_buckets, timezone=self.deps.settings.timezone
        )


def run() -> None:
    settings = CheckinSettings()
    configure_logging("checkin", "worker", settings.log_level)
    run_worker(CheckinWorker, settings)
