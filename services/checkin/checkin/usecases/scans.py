"""accept_scan_batch: a terminal's retail scans (POST /scans) become one durable scan.batch_accepted.

Same pipeline as tracks (usecases/batches.py): validate per scan, publish once, answer when confirmed.
"""

from __future__ import annotations

import uuid

from baifang_common.errors import InvalidArgument
from baifang_common.events import ScanBatchAccepted
from baifang_common.publisher import EventPublisher
from checkin.adapters.ingest_queues import IngestQueues
from checkin.domain.errors import TooManyScans
from checkin.domain.ingest import validate_json_scans, validate_typed_scans
from checkin.domain.model import BatchResult, IngestLimits, ScanBatchCommand, Validated
from checkin.domain.rules import ID_NAMESPACE
from checkin.metrics import SCAN, SCAN_COUNTERS
from checkin.usecases.batches import BatchKind, accept_batch, batch_id_of

MAX_ID_CHARS = 128

SCANS = BatchKind(
    queue=SCAN,
    counters=SCAN_COUNTERS,
    max_items=lambda limits: limits.max_batch_scans,
    too_many=TooManyScans,
    validate_json=validate_json_scans,
    validate_typed=validate_typed_scans,
)


def accept_scan_batch(
    cmd: ScanBatchCommand, *, publisher: EventPublisher, queues: IngestQueues, limits: IngestLimits
) -> BatchResult:
    """A device's scans: refusals by index, the accepted ones durable before the answer."""
    for field, value in (("device_id", cmd.device_id), ("customer_id", cmd.customer_id)):
        if not value or len(value) > MAX_ID_CHARS:
            raise InvalidArgument(f"{field} is missing or malformed", field=field)
    batch_id = batch_id_of(cmd.batch_id)

    def make_event(validated: Validated, received_at: str) -> ScanBatchAccepted:
        return ScanBatchAccepted(
            event_id=str(uuid.uuid5(ID_NAMESPACE, f"scan.batch_accepted:{cmd.device_id}:{batch_id}")),
            occurred_at=received_at,
            batch_id=batch_id,
            device_id=cmd.device_id,
            customer_id=cmd.customer_id,
            scans=validated.items,
            received_at=received_at,
        )

    return accept_batch(SCANS, cmd.body, make_event=make_event, publisher=publisher, queues=queues, limits=limits)
