"""The ingestion pipeline shared by GPS tracks and retail scans (POST /tracks, POST /scans).

The gRPC edge decoded the body once; here: refuse an oversized batch, check the worker's queue
has room, validate item by item (refusals by index), publish ONE persistent message and answer
only after the broker confirmed it: an answered batch is never lost.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from baifang_common.errors import DomainError, InvalidArgument, Unavailable
from baifang_common.events import Event
from baifang_common.publisher import EventPublisher
from checkin.adapters.ingest_queues import IngestQueues
from checkin.domain.errors import IngestBackpressure
from checkin.domain.model import BatchBody, BatchResult, BodyFormat, IngestLimits, Validated
from checkin.metrics import IngestCounters

MAX_BATCH_ID_CHARS = 128


@dataclass(frozen=True)
class BatchKind:
    """What differs between tracks and scans; the pipeline is the same."""

    queue: str  # IngestQueues name of the worker queue
    counters: IngestCounters
    max_items: Callable[[IngestLimits], int]
    too_many: Callable[..., DomainError]
    validate_json: Callable[..., Validated]
    validate_typed: Callable[..., Validated]


def accept_batch(
    kind: BatchKind,
    body: BatchBody,
    *,
    make_event: Callable[[Validated, str], Event],
    publisher: EventPublisher,
    queues: IngestQueues,
    limits: IngestLimits,
) -> BatchResult:
    """Validate every item, publish the accepted ones as one event, answer when durable."""
    start = time.perf_counter()
    count = len(body.items)
    kind.counters.batch_points.observe(count)
    if count > kind.max_items(limits):
        raise kind.too_many(max=kind.max_items(limits), count=count)
    if count == 0:
        return BatchResult(0, [])
    queues.ensure_room(kind.queue)
    now = time.time()
    validate = kind.validate_typed if body.format == BodyFormat.PROTOBUF else kind.validate_json
    validated = validate(body.items, now_ms=int(now * 1000), limits=limits)
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
