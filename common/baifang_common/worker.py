"""The nameko side: dependency provider, reliable event handlers and the worker runner.

Import only from a process that monkey-patched eventlet first (`python -m <svc> worker`).
A handler is deduplicated on event_id (collection `processed_events` in the consumer's db),
acknowledged after its write, retried with back-off through a delay queue and finally
dead-lettered to `<queue>.dlq` instead of being acknowledged and forgotten.
"""

from __future__ import annotations

import functools
import logging
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import eventlet
import kombu
from nameko.containers import WorkerContext
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.runners import ServiceRunner

from baifang_common import health
from baifang_common import mongo as mongo_factory
from baifang_common.context import AMQP_REQUEST_ID_HEADER, bound
from baifang_common.inbox import ProcessedEvents
from baifang_common.metrics import (
    EVENT_AGE_SECONDS,
    EVENT_CONSUME_SECONDS,
    EVENT_DEAD_LETTERED,
    EVENT_RETRIED,
    start_ops_server,
)
from baifang_common.settings import ServiceSettings

logger = logging.getLogger(__name__)

__all__ = ["Deps", "ProcessedEvents", "reliable_event_handler", "run_worker"]

SETTINGS_KEY = "BAIFANG_SETTINGS"
ATTEMPTS_HEADER = "x-baifang-attempts"
MAX_ATTEMPTS = 5
BACKOFF_SECONDS = (0.5, 2.0, 5.0, 15.0)


class Deps(DependencyProvider):  # type: ignore[misc]
    """Builds the service's Deps once per container, after eventlet patched the world."""

    def __init__(self, build: Callable[[Any], Any]) -> None:
        self.build = build
        self.deps: Any = None

    def setup(self) -> None:
        self.deps = self.build(self.container.config[SETTINGS_KEY])

    def get_dependency(self, worker_ctx: WorkerContext) -> Any:
        return self.deps


class ReliableEventHandler(EventHandler):  # type: ignore[misc]
    """nameko's EventHandler, but a failure is retried with back-off and then dead-lettered."""

    def _publish(
        self, message: Any, routing_key: str, headers: dict[str, Any], declare: kombu.Queue, **kw: Any
    ) -> None:
        with kombu.Connection(self.container.config["AMQP_URI"], transport_options={"confirm_publish": True}) as conn:
            producer = kombu.Producer(conn.channel())
            producer.publish(
                message.body,
                exchange="",
                routing_key=routing_key,
                headers=headers,
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                delivery_mode=2,
                declare=[declare],
                retry=True,
                retry_policy={"max_retries": 3},
                **kw,
            )

    def handle_message_processed(self, message: Any, result: Any = None, exc_info: Any = None) -> None:
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        queue = self.queue.name
        attempts = int((message.headers or {}).get(ATTEMPTS_HEADER, 1))
        headers = {**(message.headers or {}), ATTEMPTS_HEADER: attempts + 1}
        try:
            if attempts < MAX_ATTEMPTS:
                delay = BACKOFF_SECONDS[min(attempts - 1, len(BACKOFF_SECONDS) - 1)]
                retry_queue = kombu.Queue(
                    f"{queue}.retry",
                    durable=True,
                    queue_arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue},
                )
                self._publish(message, retry_queue.name, headers, retry_queue, expiration=delay)
                EVENT_RETRIED.labels(self.event_type).inc()
                logger.warning("event handling failed, attempt %d, retry in %.1fs: %s", attempts, delay, queue)
            else:
                dlq = kombu.Queue(f"{queue}.dlq", durable=True)
                headers["x-baifang-error"] = repr(exc_info[1])[:500]
                self._publish(message, dlq.name, headers, dlq)
                EVENT_DEAD_LETTERED.labels(self.event_type).inc()
                logger.error("event dead-lettered after %d attempts: %s", attempts, queue)
        except Exception:
            # Could not park it: give it back to the broker rather than lose it.
            logger.exception("could not schedule a retry, requeueing: %s", queue)
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)


def reliable_event_handler(
    source: str, event_type: str, *, dedupe: bool = True
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """`@reliable_event_handler("checkin", "checkin.recorded")` on a method taking the JSON body.

    The service must have a `deps` attribute whose value has an `inbox: ProcessedEvents`.
    `dedupe=False` skips the inbox (two store round trips per event) for a handler whose writes
    are idempotent by construction, e.g. `$set` on keys derived from the event's content.
    """

    def decorate(fn: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(fn)
        def handle(self: Any, body: dict[str, Any]) -> None:
            start = time.perf_counter()
            event_id = str(body.get("event_id", ""))
            outcome = "applied"
            request_id = getattr(self, "request_id", "") or ""
            with bound(request_id):
                try:
                    if dedupe and event_id and self.deps.inbox.seen(event_id):
                        outcome = "duplicate"
                        return
                    fn(self, body)
                    if dedupe and event_id:
                        self.deps.inbox.record(event_id, event_type)
                    _observe_age(event_type, body.get("occurred_at"))
                except Exception:
                    outcome = "failed"
                    logger.exception("event handler failed: %s %s", event_type, event_id)
                    raise
                finally:
                    EVENT_CONSUME_SECONDS.labels(event_type, outcome).observe(time.perf_counter() - start)

        return ReliableEventHandler.decorator(source, event_type)(handle)  # type: ignore[no-any-return]

    return decorate


def _observe_age(event_type: str, occurred_at: Any) -> None:
    if not isinstance(occurred_at, str):
        return
    try:
        age = (datetime.now(UTC) - datetime.fromisoformat(occurred_at)).total_seconds()
    except ValueError:
        return
    EVENT_AGE_SECONDS.labels(event_type).observe(max(age, 0.0))


class RequestId(DependencyProvider):  # type: ignore[misc]
    """Exposes the request id that came with the event (AMQP header nameko.request_id)."""

    def get_dependency(self, worker_ctx: WorkerContext) -> str:
        return str(worker_ctx.context_data.get(AMQP_REQUEST_ID_HEADER.split(".", 1)[1], ""))


def run_worker(service_cls: type, settings: ServiceSettings) -> None:
    """Run one nameko service until SIGTERM, with /metrics, /healthz and /readyz."""
    mongo = mongo_factory.client(settings)
    started = {"ok": False}

    def consumers() -> None:
        if not started["ok"]:
            raise RuntimeError("consumers not started")

    readiness = health.Readiness(
        {"consumers": consumers, "amqp": health.amqp_check(settings.amqp_uri), "mongo": health.mongo_check(mongo)}
    )
    config = {
        "AMQP_URI": settings.amqp_uri,
        "max_workers": settings.worker_concurrency,
        "PREFETCH_COUNT": settings.worker_concurrency * 2,
        "serializer": "json",
        SETTINGS_KEY: settings,
    }
    runner = ServiceRunner(config)
    runner.add_service(service_cls)
    start_ops_server(settings.metrics_port, readiness, settings.bind_host)

    def on_signal(signum: int, _frame: object) -> None:
        logger.info("signal %d received, stopping worker", signum)
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    runner.start()
    started["ok"] = True
    logger.info("worker started: %s", service_cls.__name__)
    runner.wait()
    mongo.close()
    logger.info("worker stopped")
