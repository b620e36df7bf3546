"""accept_scan_batch: a terminal's retail scans (POST /scans) become one durable scan.batch_accepted.

Same shape as accept_track_batch: validate per scan, publish once, answer when confirmed.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from baifang.checkin.v1 import checkin_pb2
from baifang_common.errors import InvalidArgument
from baifang_common.events import ScanBatchAccepted
from baifang_common.publisher import EventPublisher
from checkin.adapters.ingest_queues import IngestQueues
from checkin.domain.errors import TooManyScans
from checkin.domain.ingest import validate_json_scans, validate_pb_scans
from checkin.domain.model import BatchResult, BodyFormat, IngestLimits, ScanBatchCommand
from checkin.domain.rules import ID_NAMESPACE
from checkin.metrics import SCAN, SCAN_COUNTERS
from checkin.usecases.tracks import batch_id_of, decode_json, decode_protobuf, publish_durably

MAX_ID_CHARS = 128


def accept_scan_batch(
    cmd: ScanBatchCommand, *, publisher: EventPublisher, queues: IngestQueues, limits: IngestLimits
) -> BatchResult:
    """Validate every scan (refusals by index), publish the accepted ones, answer when durable."""
    start = time.perf_counter()
    for field, value in (("device_id", cmd.device_id), ("customer_id", cmd.customer_id)):
        if not value or len(value) > MAX_ID_CHARS:
            raise InvalidArgument(f"{field} is missing or malformed", field=field)
    batch_id = batch_id_of(cmd.batch_id)
    pb_scans: Any = None
    json_scans: list[Any] | None = None
    if cmd.body_format == BodyFormat.PROTOBUF:
        pb_scans = decode_protobuf(checkin_pb2.ScanBatch, cmd.body).scans
        count = len(pb_scans)
    else:
        json_scans = decode_json(cmd.body_format, cmd.body, "scans")
        count = len(json_scans)
    counters = SCAN_COUNTERS
    counters.batch_points.observe(count)
    if count > limits.max_batch_scans:
        raise TooManyScans(max=limits.max_batch_scans, count=count)
    if count == 0:
        return BatchResult(0, [])
    queues.ensure_room(SCAN)
    now = time.time()
    now_ms = int(now * 1000)
    if json_scans is not None:
        validated = validate_json_scans(json_scans, now_ms=now_ms, limits=limits)
    else:
        validated = validate_pb_scans(pb_scans, now_ms=now_ms, limits=limits)
    accepted = len(validated.items)
    if accepted:
        received_at = datetime.fromtimestamp(now, UTC).isoformat()
        event = ScanBatchAccepted(
            event_id=str(uuid.uuid5(ID_NAMESPACE, f"scan.batch_accepted:{cmd.device_id}:{batch_id}")),
            occurred_at=received_at,
            batch_id=batch_id,
            device_id=cmd.device_id,
            customer_id=cmd.customer_id,
            scans=validated.items,
            received_at=received_at,
        )
        publish_durably(publisher, event, counters, queues.retry_after_s)
        counters.accepted.inc(accepted)
    counters.count_rejected(validated.rejected)
    counters.seconds.observe(time.perf_counter() - start)
    return BatchResult(accepted, validated.rejected)
