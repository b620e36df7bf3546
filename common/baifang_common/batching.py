"""Batched consumers: up to N messages or T ms, one store write for all of them, then one ack.

Where one message would mean one store write (the ingestion sinks, read models), a store round
trip per event does not scale (NX-27017: `update_one` ~1.5k/s, a `bulk_write` of 50 updates
~6.5k updates/s). A BatchConsumer takes up to `max_batch` messages, or what arrived within
`max_wait_s` of the first one, hands their bodies to the handler at once (which makes one bulk
write), and acknowledges them, in one frame, only after the handler returned. A consumer that
dies before its ack has its batch redelivered, so handlers are idempotent (ids derived from the
content, `$set`, conditional raises) and, with an inbox, deduplicated on event_id (one read and
one insert per batch). Batches are applied one after another in delivery order.

Failures:
* transient (the store, Redis or the broker unreachable): the batch stays unacknowledged and is
  applied again after a back-off, for as long as the outage lasts; nothing is dead-lettered.
* anything else: the batch is split in halves, each applied on its own, down to the message that
  fails. That one goes to `<queue>.retry` (a message TTL per attempt, then dead-lettered back to
  the queue) and after the last attempt to `<queue>.dlq`; the rest are applied and acknowledged,
  so nothing waits for a poison message.

Pure kombu (no eventlet, no nameko): the worker runs it in a green thread (baifang_common.worker),
tests in a plain thread.
"""

from __future__ import annotations

import errno
import logging
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import amqp.transport
import kombu
import kombu.transport.pyamqp
import orjson
import redis
from kombu.exceptions import OperationalError
from pymongo.errors import ConnectionFailure

from baifang_common.errors import Unavailable
from baifang_common.inbox import ProcessedEvents
from baifang_common.metrics import (
    CONSUMER_BATCH_SECONDS,
    CONSUMER_BATCH_SIZE,
    EVENT_AGE_SECONDS,
    EVENT_CONSUME_SECONDS,
    EVENT_DEAD_LETTERED,
    EVENT_RETRIED,
)
from baifang_common.publisher import exchange_for

logger = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-baifang-attempts"
ERROR_HEADER = "x-baifang-error"

# Infrastructure that is down rather than a message that is wrong.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    Unavailable,  # what a store or Redis adapter raises when its dependency is down
    ConnectionFailure,
    redis.ConnectionError,
    redis.TimeoutError,
    OperationalError,
    ConnectionError,
    TimeoutError,
    socket.timeout,
)

# What ends a connection to the broker (the consumer reconnects after a back-off).
BROKER_ERRORS: tuple[type[BaseException], ...] = (*TRANSIENT_ERRORS, OSError)


class Stopped(Exception):
    """The consumer was asked to stop while it waited to apply a batch again (left unacknowledged)."""


class _BufferedTCPTransport(amqp.transport.TCPTransport):  # type: ignore[misc]
    """py-amqp's TCP transport, reading what the socket has (up to 64 KiB) into its buffer.

    The stock transport asks the socket for exactly the bytes of each part of a frame: nine
    `recv` calls per message, 1,800 for a batch of 200, and on two busy cores each costs more
    than the rest of the message's decoding.
    """

    def _read(self, n: int, initial: bool = False, _errnos: tuple[int, ...] = (errno.EAGAIN, errno.EINTR)) -> bytes:
        recv = self._quick_recv
        rbuf: bytes = getattr(self, "_read_buffer", b"")
        try:
            while len(rbuf) < n:
                try:
                    chunk = recv(max(n - len(rbuf), 65536))
                except OSError as exc:
                    if exc.errno in _errnos:
                        if initial and self.raise_on_initial_eintr:
                            raise TimeoutError() from exc
                        continue
                    raise
                if not chunk:
                    raise OSError("Server unexpectedly closed connection")
                rbuf += chunk
        except:
            self._read_buffer = rbuf
            raise
        result, self._read_buffer = rbuf[:n], rbuf[n:]
        return bytes(result)


class _BufferedConnection(kombu.transport.pyamqp.Connection):  # type: ignore[misc]
    def Transport(  # noqa: N802 - py-amqp's factory method
        self,
        host: str,
        connect_timeout: Any,
        ssl: Any = False,
        read_timeout: Any = None,
        write_timeout: Any = None,
        **kwargs: Any,
    ) -> Any:
        if ssl:
            return super().Transport(host, connect_timeout, ssl, read_timeout, write_timeout, **kwargs)
        return _BufferedTCPTransport(
            host, connect_timeout=connect_timeout, read_timeout=read_timeout, write_timeout=write_timeout, **kwargs
        )


class BufferedAmqpTransport(kombu.transport.pyamqp.Transport):  # type: ignore[misc]
    """kombu's pyamqp transport with buffered socket reads, for consumers (see _BufferedTCPTransport)."""

    Connection = _BufferedConnection


# Failures of a batch that say nothing about its messages.
NOT_POISON: tuple[type[BaseException], ...] = (*TRANSIENT_ERRORS, Stopped)


def event_queue(source: str, event_type: str, service: str, method: str) -> kombu.Queue:
    """The durable queue of nameko's SERVICE_POOL `@event_handler(source, event_type)` on
    `service.method`: reliable and batched handlers consume it alike, and a producer may declare
    it ahead of the worker (a message routed to no queue is confirmed and dropped)."""
    return kombu.Queue(
        f"evt-{source}-{event_type}--{service}.{method}",
        exchange=exchange_for(source),
        routing_key=event_type,
        durable=True,
        auto_delete=False,
        exclusive=False,
    )


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failing message is tried (attempts) and how long it waits before each retry."""

    max_attempts: int = 5
    backoff_s: tuple[float, ...] = (0.5, 2.0, 5.0, 15.0)

    def delay(self, attempt: int) -> float:
        return self.backoff_s[min(attempt - 1, len(self.backoff_s) - 1)]


def retry_queue(queue: str) -> kombu.Queue:
    """Where a failed message waits out its back-off before it is dead-lettered back to `queue`."""
    return kombu.Queue(
        f"{queue}.retry",
        durable=True,
        queue_arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue},
    )


def dead_letter_queue(queue: str) -> kombu.Queue:
    return kombu.Queue(f"{queue}.dlq", durable=True)


def park(amqp_uri: str, queue: str, message: Any, error: BaseException, policy: RetryPolicy, event_type: str) -> str:
    """Send a message that failed to its retry queue, or after its last attempt to the dead-letter
    queue (confirmed); returns "retry" or "dlq". The caller acknowledges the original afterwards."""
    headers = dict(message.headers or {})
    attempts = int(headers.get(ATTEMPTS_HEADER, 1))
    headers[ATTEMPTS_HEADER] = attempts + 1
    extra: dict[str, Any] = {}
    if attempts < policy.max_attempts:
        target, outcome = retry_queue(queue), "retry"
        extra["expiration"] = policy.delay(attempts)
    else:
        target, outcome = dead_letter_queue(queue), "dlq"
        headers[ERROR_HEADER] = repr(error)[:500]
    with kombu.Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        kombu.Producer(conn.channel()).publish(
            message.body,
            exchange="",
            routing_key=target.name,
            headers=headers,
            content_type=message.content_type,
            content_encoding=message.content_encoding,
            delivery_mode=2,
            declare=[target],
            retry=True,
            retry_policy={"max_retries": 3},
            **extra,
        )
    if outcome == "retry":
        EVENT_RETRIED.labels(event_type).inc()
        logger.warning("event failed, attempt %d, retry in %.1fs: %s: %s", attempts, extra["expiration"], queue, error)
    else:
        EVENT_DEAD_LETTERED.labels(event_type).inc()
        logger.error("event dead-lettered after %d attempts: %s: %s", attempts, queue, error)
    return outcome


def observe_age(event_type: str, occurred_at: Any, now: datetime | None = None) -> None:
    """baifang_event_age_seconds: how old an event was when a consumer applied it."""
    if not isinstance(occurred_at, str):
        return
    try:
        age = ((now or datetime.now(UTC)) - datetime.fromisoformat(occurred_at)).total_seconds()
    except (ValueError, TypeError):
        return
    EVENT_AGE_SECONDS.labels(event_type).observe(max(age, 0.0))


@dataclass
class Delivery:
    """One consumed message and its decoded body (None when it is not JSON)."""

    message: Any
    body: dict[str, Any] | None
    event_type: str
    event_id: str = field(default="")


Handler = Callable[[list[dict[str, Any]]], None]


class BatchConsumer:
    """Consumes one durable queue in batches; see the module docstring for the contract."""

    def __init__(
        self,
        amqp_uri: str,
        queue: kombu.Queue,
        handle: Handler,
        *,
        event_types: Iterable[str],
        max_batch: int = 200,
        max_wait_s: float = 0.05,
        inbox: Callable[[], ProcessedEvents | None] = lambda: None,
        policy: RetryPolicy | None = None,
        idle_poll_s: float = 1.0,
        outage_backoff_s: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0),
    ) -> None:
        self.amqp_uri = amqp_uri
        self.queue = queue
        self.handle = handle
        self.event_types = frozenset(event_types)
        self.max_batch = max(1, max_batch)
        self.max_wait_s = max_wait_s
        self.inbox = inbox
        self.policy = policy or RetryPolicy()
        self.idle_poll_s = idle_poll_s
        self.outage_backoff_s = outage_backoff_s
        self.pending: list[Any] = []
        self.declared = False  # the queue exists: events published from now on reach it (readiness)
        self._children: dict[tuple[str, str], Any] = {}
        self.batch_size = CONSUMER_BATCH_SIZE.labels(queue.name)
        self.batch_seconds = CONSUMER_BATCH_SECONDS.labels(queue.name)

    # --- the loop ----------------------------------------------------------------------

    def run(self, stopping: Callable[[], bool]) -> None:
        """Consume until `stopping()`; reconnects after a broker outage."""
        failures = 0
        while not stopping():
            try:
                with kombu.Connection(
                    self.amqp_uri, heartbeat=0, connect_timeout=5, transport=BufferedAmqpTransport
                ) as conn:
                    conn.ensure_connection(max_retries=1, timeout=5)
                    failures = 0
                    self.consume(conn, stopping)
            except Stopped:
                return
            except BROKER_ERRORS as exc:
                failures += 1
                delay = self.outage_backoff_s[min(failures - 1, len(self.outage_backoff_s) - 1)]
                logger.warning("consumer of %s lost the broker (%s), again in %.1fs", self.queue.name, exc, delay)
                self._sleep(delay, stopping)

    def consume(self, conn: kombu.Connection, stopping: Callable[[], bool]) -> None:
        """Take batches from an open connection until `stopping()` (or the connection fails)."""
        self.pending = []
        channel = conn.channel()
        channel.basic_qos(0, self.max_batch * 2, False)
        queue = self.queue.bind(channel)
        queue.declare()
        self.declared = True
        consumer = kombu.Consumer(channel, queues=[queue], on_message=self.pending.append, no_ack=False)
        consumer.consume()
        while not stopping():
            if not self.pending:
                try:
                    conn.drain_events(timeout=self.idle_poll_s)
                except TimeoutError:
                    continue
            deadline = time.monotonic() + self.max_wait_s
            while len(self.pending) < self.max_batch:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    conn.drain_events(timeout=left)
                except TimeoutError:
                    break
            batch, self.pending[:] = self.pending[: self.max_batch], self.pending[self.max_batch :]
            self.process(channel, batch, stopping)

    # --- one batch ---------------------------------------------------------------------

    def process(self, channel: Any, messages: Sequence[Any], stopping: Callable[[], bool]) -> None:
        """Apply a batch (again and again through an outage), then acknowledge all of it at once."""
        if not messages:
            return
        start = time.perf_counter()
        deliveries = [self._decode(m) for m in messages]
        outages = 0
        while True:
            try:
                applied, duplicates, failed = self.apply(deliveries)
                break
            except TRANSIENT_ERRORS as exc:
                outages += 1
                delay = self.outage_backoff_s[min(outages - 1, len(self.outage_backoff_s) - 1)]
                name = self.queue.name
                logger.warning("%d from %s not applied (%s), again in %.1fs", len(messages), name, exc, delay)
                self._sleep(delay, stopping)
                if stopping():
                    raise Stopped from exc
        channel.basic_ack(delivery_tag=max(m.delivery_tag for m in messages), multiple=True)
        elapsed = time.perf_counter() - start
        self.batch_size.observe(len(messages))
        self.batch_seconds.observe(elapsed)
        self._observe(applied, duplicates, failed, elapsed / len(messages))

    def apply(self, deliveries: list[Delivery]) -> tuple[list[Delivery], list[Delivery], list[Delivery]]:
        """(applied, duplicates, failed); the failed ones are parked. Raises a transient error to retry all."""
        fresh: list[Delivery] = []
        duplicates: list[Delivery] = []
        failed: list[Delivery] = []
        for d in deliveries:
            (fresh if d.body is not None else failed).append(d)
        for d in failed:
            not_json = ValueError("the body is not a JSON object")
            park(self.amqp_uri, self.queue.name, d.message, not_json, self.policy, d.event_type)
        inbox = self.inbox()
        if inbox is not None:
            ids = [d.event_id for d in fresh if d.event_id]
            seen = inbox.seen_many(ids) if ids else set()
            first: list[Delivery] = []
            taken: set[str] = set()
            for d in fresh:
                if d.event_id and (d.event_id in seen or d.event_id in taken):
                    duplicates.append(d)
                else:
                    taken.add(d.event_id)
                    first.append(d)
            fresh = first
        applied = self._apply_splitting(fresh, failed)
        if inbox is not None:
            inbox.record_many([(d.event_id, d.event_type) for d in applied if d.event_id])
        return applied, duplicates, failed

    def _apply_splitting(self, deliveries: list[Delivery], failed: list[Delivery]) -> list[Delivery]:
        """Apply all; on a failure that is not transient, halves on their own, down to the culprit
        (parked, and added to `failed`). Returns the deliveries applied."""
        if not deliveries:
            return []
        try:
            self.handle([d.body for d in deliveries if d.body is not None])
            return deliveries
        except NOT_POISON:
            raise
        except Exception as exc:
            if len(deliveries) == 1:
                (d,) = deliveries
                logger.warning("event failed: %s %s: %r", d.event_type, d.event_id, exc)
                park(self.amqp_uri, self.queue.name, d.message, exc, self.policy, d.event_type)
                failed.append(d)
                return []
            middle = len(deliveries) // 2
            return self._apply_splitting(deliveries[:middle], failed) + self._apply_splitting(
                deliveries[middle:], failed
            )

    # --- helpers -----------------------------------------------------------------------

    def _decode(self, message: Any) -> Delivery:
        routing_key = (message.delivery_info or {}).get("routing_key", "")
        try:
            body = orjson.loads(message.body)
        except (orjson.JSONDecodeError, TypeError):
            body = None
        if not isinstance(body, dict):
            return Delivery(message, None, self._label(routing_key))
        event_type = self._label(str(body.get("event_type") or routing_key))
        return Delivery(message, body, event_type, str(body.get("event_id") or ""))

    def _label(self, event_type: str) -> str:
        """A metric label from the known event types only (bodies must not mint label values)."""
        if event_type in self.event_types:
            return event_type
        return next(iter(self.event_types)) if len(self.event_types) == 1 else "unknown"

    def _observe(
        self, applied: list[Delivery], duplicates: list[Delivery], failed: list[Delivery], per_event_s: float
    ) -> None:
        """Per event, as the reliable handlers count them: its share of the batch's time, its age."""
        now = datetime.now(UTC)
        for outcome, deliveries in (("applied", applied), ("duplicate", duplicates), ("failed", failed)):
            for d in deliveries:
                self._seconds(d.event_type, outcome).observe(per_event_s)
        for d in applied:
            observe_age(d.event_type, (d.body or {}).get("occurred_at"), now)

    def _seconds(self, event_type: str, outcome: str) -> Any:
        """baifang_event_consume_seconds' child for the labels, bound once."""
        child = self._children.get((event_type, outcome))
        if child is None:
            child = self._children[(event_type, outcome)] = EVENT_CONSUME_SECONDS.labels(event_type, outcome)
        return child

    @staticmethod
    def _sleep(seconds: float, stopping: Callable[[], bool]) -> None:
        deadline = time.monotonic() + seconds
        while not stopping() and time.monotonic() < deadline:
            time.sleep(min(0.1, deadline - time.monotonic()))
