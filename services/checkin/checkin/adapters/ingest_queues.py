"""IngestQueues — the checkin worker's durable queues for accepted batches, seen from the gRPC side.

Why the gRPC process declares them: RabbitMQ confirms a message routed to no queue and drops
it, so a batch accepted before the worker ever ran would be lost. The queues are declared
exactly as nameko declares its SERVICE_POOL event-handler queues (name
`evt-checkin-<event>--checkin.<method>`, bound to `checkin.events` with the event type,
durable, not auto-delete, not exclusive), so the worker's own declare is a no-op.

Back-pressure: `ensure_room(kind)` reads the queue depth (queue_declare passive, cached for
`cache_s` per queue, a failure cached as long) and raises IngestBackpressure (503 with
details.retry_after) when the broker is unreachable or the depth is over the limit.
"""

from __future__ import annotations

import logging
import threading
import time

import kombu

from baifang_common.batching import event_queue
from checkin.domain.errors import IngestBackpressure
from checkin.metrics import INGEST_QUEUE_DEPTH

logger = logging.getLogger(__name__)

# Worker handler method names: nameko names the queues after them (checkin.worker uses these).
TRACK_HANDLER = "on_track_batch_accepted"
SCAN_HANDLER = "on_scan_batch_accepted"
TRACK_EVENT = "track.batch_accepted"
SCAN_EVENT = "scan.batch_accepted"


def worker_queue(event_type: str, method: str) -> kombu.Queue:
    """The queue the checkin worker's handler `method` of `event_type` consumes."""
    return event_queue("checkin", event_type, "checkin", method)


def ingest_queues() -> dict[str, kombu.Queue]:
    """kind → worker queue of that kind's accepted batches."""
    return {"track": worker_queue(TRACK_EVENT, TRACK_HANDLER), "scan": worker_queue(SCAN_EVENT, SCAN_HANDLER)}


class IngestQueues:
    """Thread-safe: one connection for declares and depth reads, guarded by a lock."""

    def __init__(
        self,
        amqp_uri: str,
        *,
        max_depth: int,
        retry_after_s: int,
        cache_s: float = 1.0,
        connect_timeout: float = 1.0,
    ) -> None:
        self.amqp_uri = amqp_uri
        self.queues = ingest_queues()
        self.max_depth = max_depth
        self.retry_after_s = retry_after_s
        self.cache_s = cache_s
        self.connect_timeout = connect_timeout
        self._lock = threading.Lock()
        self._conn: kombu.Connection | None = None
        self._channel: object | None = None
        self._depths: dict[str, tuple[float, int]] = {}
        self._failed_at = -1e9
        self._gauges = {kind: INGEST_QUEUE_DEPTH.labels(queue.name) for kind, queue in self.queues.items()}

    def declare(self) -> None:
        """Declare exchange, queues and bindings now (start-up); raises IngestBackpressure."""
        with self._lock:
            self._connected()

    def ensure_room(self, kind: str) -> int:
        """The depth of `kind`'s worker queue; raises IngestBackpressure when over the limit or unknown."""
        depth = self.depth(kind)
        if depth > self.max_depth:
            raise IngestBackpressure(
                "the ingestion queue is full, retry later",
                retry_after=self.retry_after_s,
                reason="queue_full",
            )
        return depth

    def depth(self, kind: str) -> int:
        now = time.monotonic()
        cached = self._depths.get(kind)
        if cached is not None and now - cached[0] < self.cache_s:
            return cached[1]
        with self._lock:
            cached = self._depths.get(kind)
            if cached is not None and now - cached[0] < self.cache_s:
                return cached[1]
            if now - self._failed_at < self.cache_s:
                raise self._unreachable()
            depth = self._read_depth(kind)
            self._depths[kind] = (time.monotonic(), depth)
            self._gauges[kind].set(depth)
            return depth

    def _read_depth(self, kind: str) -> int:
        while True:
            reused = self._channel is not None
            channel = self._connected()  # a failed connect raises, recorded
            try:
                ok = self.queues[kind].bind(channel).queue_declare(passive=True)
                return int(ok.message_count)
            except Exception as exc:  # broken connection or deleted queue: reconnect (re-declaring) once
                self._reset()
                if not reused:
                    logger.warning("queue depth unavailable: %s", exc)
                    self._failed_at = time.monotonic()
                    raise self._unreachable() from exc

    def _connected(self) -> object:
        if self._channel is None:
            conn = kombu.Connection(self.amqp_uri, connect_timeout=self.connect_timeout)
            try:
                conn.ensure_connection(max_retries=1, timeout=self.connect_timeout)
                channel = conn.channel()
                for queue in self.queues.values():
                    queue.bind(channel).declare()
            except Exception as exc:  # unreachable broker of any kind: refuse for a while
                logger.warning("amqp connection for ingest queues failed: %s", exc)
                conn.release()
                self._failed_at = time.monotonic()
                raise self._unreachable() from exc
            self._conn, self._channel = conn, channel
        return self._channel

    def _unreachable(self) -> IngestBackpressure:
        return IngestBackpressure(
            "the event broker is unreachable, retry later", retry_after=self.retry_after_s, reason="broker_unreachable"
        )

    def _reset(self) -> None:
        conn, self._conn, self._channel = self._conn, None, None
        if conn is not None:
            try:
                conn.release()
            except Exception:  # the connection is already broken; dropping it is the point
                logger.debug("error while releasing a broken amqp connection", exc_info=True)

    def close(self) -> None:
        with self._lock:
            self._reset()
