"""The ingestion pipeline shared by GPS tracks and retail scans (POST /tracks, POST /scans).

Decode the body once, refuse an oversized batch, check the worker's queue has room, validate
item by item (refusals by index), publish ONE persistent message and answer only after the
broker confirmed it: an answered batch is never lost.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from google.protobuf.message import DecodeError

from baifang_common.errors import DomainError, InvalidArgument, Unavailable
from baifang_common.events import Event
from baifang_common.publisher import EventPublisher
from checkin.adapters.ingest_queues import IngestQueues
from checkin.domain.errors import IngestBackpressure, InvalidBody
from checkin.domain.model import BatchResult, BodyFormat, IngestLimits
from checkin.metrics import IngestCounters

MAX_BATCH_ID_CHARS = 128

Validated = Any  # domain.ingest's result: .items (accepted, compact) and .rejected (by index)


@dataclass(frozen=True)
class BatchKind:
    """What differs between tracks and scans; the pipeline is the same."""

    message_type: Any  # the protobuf batch message (TrackBatch / ScanBatch)
    field: str  # the list's name in both bodies: "points" / "scans"
    queue: str  # IngestQueues name of the worker queue
    counters: IngestCounters
    max_items: Callable[[IngestLimits], int]
    too_many: Callable[..., DomainError]
    validate_json: Callable[..., Validated]
    validate_pb: Callable[..., Validated]


def accept_batch(
    kind: BatchKind,
    body_format: str,
    body: bytes,
    *,
    make_event: Callable[[Validated, str], Event],
    publisher: EventPublisher,
    queues: IngestQueues,
    limits: IngestLimits,
) -> BatchResult:
    """Validate every item, publish the accepted ones as one event, answer when durable."""
    start = time.perf_counter()
    if body_format == BodyFormat.PROTOBUF:
        items: Any = getattr(decode_protobuf(kind.message_type, body), kind.field)
    else:
        items = decode_json(body_format, body, kind.field)
    count = len(items)
    kind.counters.batch_points.observe(count)
    if count > kind.max_items(limits):
        raise kind.too_many(max=kind.max_items(limits), count=count)
    if count == 0:
        return BatchResult(0, [])
    queues.ensure_room(kind.queue)
    now = time.time()
    validate = kind.validate_pb if body_format == BodyFormat.PROTOBUF else kind.validate_json
    validated = validate(items, now_ms=int(now * 1000), limits=limits)
    accepted = len(validated.items)
    if accepted:
        event = make_event(validated, datetime.fromtimestamp(now, UTC).isoformat())
        publish_durably(publisher, event, kind.counters, queues.retry_after_s)
        kind.counters.accepted.inc(accepted)
    kind.counters.count_rejected(validated.rejected)
    kind.counters.seconds.observe(time.perf_counter() - start)
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
