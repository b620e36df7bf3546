"""accept_track_batch: a GPS batch (POST /tracks) becomes one durable track.batch_accepted message.

Runs in the gRPC process. The answer is given only after the broker confirmed the persistent
message (the worker's queue exists: IngestQueues declares it), so an answered batch is never
lost; before that, a full or unreachable queue refuses the batch with a retry hint (503).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from google.protobuf.message import DecodeError

from baifang.checkin.v1 import checkin_pb2
from baifang_common.errors import InvalidArgument, Unavailable
from baifang_common.events import Event, TrackBatchAccepted
from baifang_common.publisher import EventPublisher
from checkin.adapters.ingest_queues import IngestQueues
from checkin.domain.errors import IngestBackpressure, InvalidBody, NotAManager, TooManyPoints
from checkin.domain.ingest import validate_json_points, validate_pb_points
from checkin.domain.model import BatchResult, BodyFormat, IngestLimits, TrackBatchCommand
from checkin.domain.rules import ID_NAMESPACE
from checkin.metrics import TRACK, TRACK_COUNTERS, IngestCounters

MAX_BATCH_ID_CHARS = 128


def accept_track_batch(
    cmd: TrackBatchCommand, *, publisher: EventPublisher, queues: IngestQueues, limits: IngestLimits
) -> BatchResult:
    """Validate every point (refusals by index), publish the accepted ones, answer when durable."""
    start = time.perf_counter()
    if cmd.caller_role != "manager":
        raise NotAManager("only account managers send GPS tracks", role=cmd.caller_role)
    batch_id = batch_id_of(cmd.batch_id)
    pb_points: Any = None
    json_points: list[Any] | None = None
    if cmd.body_format == BodyFormat.PROTOBUF:
        pb_points = decode_protobuf(checkin_pb2.TrackBatch, cmd.body).points
        count = len(pb_points)
    else:
        json_points = decode_json(cmd.body_format, cmd.body, "points")
        count = len(json_points)
    counters = TRACK_COUNTERS
    counters.batch_points.observe(count)
    if count > limits.max_batch_points:
        raise TooManyPoints(max=limits.max_batch_points, count=count)
    if count == 0:
        return BatchResult(0, [])
    queues.ensure_room(TRACK)
    now = time.time()
    now_ms = int(now * 1000)
    if json_points is not None:
        validated = validate_json_points(json_points, now_ms=now_ms, limits=limits)
    else:
        validated = validate_pb_points(pb_points, now_ms=now_ms, limits=limits)
    accepted = len(validated.items)
    if accepted:
        received_at = datetime.fromtimestamp(now, UTC).isoformat()
        event = TrackBatchAccepted(
            event_id=str(uuid.uuid5(ID_NAMESPACE, f"track.batch_accepted:{cmd.caller_id}:{batch_id}")),
            occurred_at=received_at,
            batch_id=batch_id,
            manager_id=cmd.caller_id,
            team_id=cmd.caller_team_id,
            points=validated.items,
            accepted=accepted,
            rejected=len(validated.rejected),
            received_at=received_at,
        )
        publish_durably(publisher, event, counters, queues.retry_after_s)
        counters.accepted.inc(accepted)
    counters.count_rejected(validated.rejected)
    counters.seconds.observe(time.perf_counter() - start)
    return BatchResult(accepted, validated.rejected)


def batch_id_of(given: str) -> str:
    """The client's batch id (a resent batch is deduplicated downstream) or a fresh one."""
    if not given:
        return uuid.uuid4().hex
    if len(given) > MAX_BATCH_ID_CHARS or not given.isprintable():
        raise InvalidArgument("batch_id is too long or not printable", field="batch_id")
    return given


def decode_json(body_format: str, body: bytes, field: str) -> list[Any]:
    """The list under `field` of a JSON object body; anything else is `invalid_body`."""
    if body_format != BodyFormat.JSON:
        raise InvalidBody("a JSON or protobuf body is required")
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidBody("the body is not JSON") from exc
    items = decoded.get(field) if type(decoded) is dict else None
    if type(items) is not list:
        raise InvalidBody(f"the body needs a list `{field}`", field=field)
    return items


def decode_protobuf(message_type: Any, body: bytes) -> Any:
    try:
        return message_type.FromString(body)
    except (DecodeError, ValueError) as exc:
        raise InvalidBody(f"the body is not a {message_type.DESCRIPTOR.name} message") from exc


def publish_durably(publisher: EventPublisher, event: Event, counters: IngestCounters, retry_after_s: int) -> None:
    """One persistent message, confirmed; a broker failure is a 503 with a retry hint."""
    start = time.perf_counter()
    try:
        publisher.publish(event)
    except Unavailable as exc:
        raise IngestBackpressure(
            "the event broker is unreachable, retry later", retry_after=retry_after_s, reason="broker_unreachable"
        ) from exc
    counters.confirm_seconds.observe(time.perf_counter() - start)
