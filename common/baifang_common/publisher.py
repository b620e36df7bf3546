"""Publishing events from gRPC processes with kombu (no eventlet), in nameko's format.

Exchange `<producer>.events` (topic, durable), routing key = event type, persistent JSON,
publisher confirms: `publish()` returns only once the broker has the message.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence

import kombu
import orjson
from kombu.exceptions import OperationalError

from baifang_common.context import AMQP_REQUEST_ID_HEADER, current_request_id
from baifang_common.errors import Unavailable
from baifang_common.events import Event
from baifang_common.metrics import EVENT_PUBLISH_SECONDS

logger = logging.getLogger(__name__)


def exchange_for(producer: str) -> kombu.Exchange:
    """Declared exactly as nameko declares it, so nameko handlers bind to the same exchange."""
    return kombu.Exchange(f"{producer}.events", type="topic", durable=True, auto_delete=False)


class EventPublisher:
    """Thread-safe confirmed publisher: one connection per thread, created on first use."""

    def __init__(self, amqp_uri: str, connect_timeout: float = 3.0) -> None:
        self.amqp_uri = amqp_uri
        self.connect_timeout = connect_timeout
        self._local = threading.local()
        self._declared: set[str] = set()

    def _producer(self) -> kombu.Producer:
        producer = getattr(self._local, "producer", None)
        if producer is None:
            conn = kombu.Connection(
                self.amqp_uri,
                connect_timeout=self.connect_timeout,
                transport_options={"confirm_publish": True},
            )
            conn.ensure_connection(max_retries=1, timeout=self.connect_timeout)
            producer = kombu.Producer(conn.channel(), serializer="json")
            self._local.conn, self._local.producer = conn, producer
        return producer

    def _reset(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.producer = None
        if conn is not None:
            try:
                conn.release()
            except Exception:  # the connection is already broken; dropping it is the point
                logger.debug("error while releasing a broken amqp connection", exc_info=True)

    def publish(self, event: Event) -> None:
        self.publish_many([event])

    def publish_many(self, events: Iterable[Event]) -> None:
        """Publish persistently with confirms; raises Unavailable when the broker cannot take them."""
        for event in events:
            start = time.perf_counter()
            exchange = exchange_for(event.producer)
            # orjson: ~5x faster than kombu's stdlib json on a 1000-point batch; same wire format.
            body = orjson.dumps(event.to_body())
            for attempt in (1, 2):
                try:
                    producer = self._producer()
                    producer.publish(
                        body,
                        exchange=exchange,
                        routing_key=event.event_type,
                        delivery_mode=2,
                        content_type="application/json",
                        content_encoding="utf-8",
                        headers={AMQP_REQUEST_ID_HEADER: current_request_id()},
                        declare=[exchange] if exchange.name not in self._declared else [],
                        retry=False,
                    )
                    self._declared.add(exchange.name)
                    break
                except (OperationalError, OSError, ConnectionError) as exc:
                    self._reset()
                    if attempt == 2:
                        logger.warning("event publish failed: %s", exc)
                        raise Unavailable("event broker unavailable") from exc
            EVENT_PUBLISH_SECONDS.labels(event.event_type).observe(time.perf_counter() - start)

    def publish_bulk(self, events: Sequence[Event], window: int = 500) -> None:
        """Many events with pipelined confirms, for bulk loads (demo data, benchmarks).

        publish_many waits for each confirm in turn (one round trip per event, ~1-2k/s); here up
        to `window` events are unconfirmed at once. Returns once the broker confirmed every one;
        raises Unavailable when it refused one (nack) or could not be reached.
        """
        if not events:
            return
        try:
            with kombu.Connection(self.amqp_uri, connect_timeout=self.connect_timeout) as conn:
                conn.ensure_connection(max_retries=1, timeout=self.connect_timeout)
                channel = conn.channel()
                channel.confirm_select()
                pending: set[int] = set()
                refused: list[int] = []

                def settle(tag: int, multiple: bool, nacked: bool = False) -> None:
                    done = {t for t in pending if t <= tag} if multiple else {tag}
                    pending.difference_update(done)
                    if nacked:
                        refused.extend(done)

                channel.events["basic_ack"].add(settle)
                channel.events["basic_nack"].add(lambda tag, multiple: settle(tag, multiple, nacked=True))
                producer = kombu.Producer(channel)
                declared: set[str] = set()
                for tag, event in enumerate(events, start=1):
                    exchange = exchange_for(event.producer)
                    producer.publish(
                        orjson.dumps(event.to_body()),
                        exchange=exchange,
                        routing_key=event.event_type,
                        delivery_mode=2,
                        content_type="application/json",
                        content_encoding="utf-8",
                        headers={AMQP_REQUEST_ID_HEADER: current_request_id()},
                        declare=[exchange] if exchange.name not in declared else [],
                        retry=False,
                    )
                    declared.add(exchange.name)
                    pending.add(tag)
                    while len(pending) >= window:
                        conn.drain_events(timeout=10)
                while pending:
                    conn.drain_events(timeout=10)
        except (OperationalError, OSError, ConnectionError) as exc:
            logger.warning("bulk publish failed: %s", exc)
            raise Unavailable("event broker unavailable") from exc
        if refused:
            raise Unavailable(f"the broker refused {len(refused)} of {len(events)} events")

    def close(self) -> None:
        self._reset()
