"""accept_track_batch: a GPS batch (POST /tracks) becomes one durable track.batch_accepted message.

Runs in the gRPC process; the pipeline (usecases/batches.py) answers only after the broker
confirmed the persistent message, and refuses with a retry hint (503) when the worker's queue
is full or the broker unreachable.
"""

from __future__ import annotations

import uuid

from baifang_common.events import TrackBatchAccepted
from baifang_common.publisher import EventPublisher
from checkin.adapters.ingest_queues import IngestQueues
from checkin.domain.errors import NotAManager, TooManyPoints
from checkin.domain.ingest import validate_json_points, validate_typed_points
from checkin.domain.model import BatchResult, IngestLimits, TrackBatchCommand, Validated
from checkin.domain.rules import ID_NAMESPACE
from checkin.metrics import TRACK, TRACK_COUNTERS
from checkin.usecases.batches import BatchKind, accept_batch, batch_id_of

TRACKS = BatchKind(
    queue=TRACK,
    counters=TRACK_COUNTERS,
    max_items=lambda limits: limits.max_batch_points,
    too_many=TooManyPoints,
    validate_json=validate_json_points,
    validate_typed=validate_typed_points,
)


def accept_track_batch(
    cmd: TrackBatchCommand, *, publisher: EventPublisher, queues: IngestQueues, limits: IngestLimits
) -> BatchResult:
    """A manager's points: refusals by index, the accepted ones durable before the answer."""
    if not cmd.caller.is_manager:
        raise NotAManager("only account managers send GPS tracks", role=cmd.caller.role)
    batch_id = batch_id_of(cmd.batch_id)

    def make_event(validated: Validated, received_at: str) -> TrackBatchAccepted:
        return TrackBatchAccepted(
            event_id=str(uuid.uuid5(ID_NAMESPACE, f"track.batch_accepted:{cmd.caller.id}:{batch_id}")),
            occurred_at=received_at,
            batch_id=batch_id,
            manager_id=cmd.caller.id,
            team_id=cmd.caller.team_id,
            points=validated.items,
            accepted=len(validated.items),
            rejected=len(validated.rejected),
            received_at=received_at,
        )

    return accept_batch(TRACKS, cmd.body, make_event=make_event, publisher=publisher, queues=queues, limits=limits)
