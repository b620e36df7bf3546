"""The nameko side: dependency provider, reliable and batched event handlers, the worker runner.

Import only from a process that monkey-patched eventlet first (`python -m <svc> worker`).
A handler is deduplicated on event_id (collection `processed_events` in the consumer's db),
acknowledged after its write, retried with back-off through a delay queue and finally
dead-lettered to `<queue>.dlq` instead of being acknowledged and forgotten.

`@reliable_event_handler` takes one message per call (nameko's own consumer). Where one message
would mean one store write, `@batch_event_handler` takes a list of bodies instead: a
baifang_common.batching.BatchConsumer in a green thread of the same process collects up to
`<SVC>_CONSUMER_BATCH_MAX` messages or `<SVC>_CONSUMER_BATCH_WAIT_MS`, runs the method once in a
nameko worker (dependencies injected as usual) and acknowledges them all after it returned.
Both consume the queue nameko names after the handler, so one can replace the other.
"""

from __future__ import annotations

import functools
import logging
import signal
import time
from collections.abc import Callable
from typing import Any

import eventlet
import eventlet.event
from nameko.containers import WorkerContext
from nameko.events import EventHandler
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import DependencyProvider, Entrypoint
from nameko.runners import ServiceRunner

from baifang_common import health
from baifang_common import mongo as mongo_factory
from baifang_common.batching import BatchConsumer, RetryPolicy, Stopped, event_queue, observe_age, park
from baifang_common.context import AMQP_REQUEST_ID_HEADER, bound
from baifang_common.inbox import ProcessedEvents
from baifang_common.metrics import EVENT_CONSUME_SECONDS, start_ops_server
from baifang_common.settings import ServiceSettings

logger = logging.getLogger(__name__)

__all__ = ["Deps", "ProcessedEvents", "batch_event_handler", "reliable_event_handler", "run_worker"]

SETTINGS_KEY = "BAIFANG_SETTINGS"


def retry_policy(settings: ServiceSettings) -> RetryPolicy:
    return RetryPolicy(max_attempts=settings.consumer_max_attempts, backoff_s=tuple(settings.consumer_backoff_s))


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

    def handle_message_processed(self, message: Any, result: Any = None, exc_info: Any = None) -> None:
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        settings = self.container.config[SETTINGS_KEY]
        try:
            park(settings.amqp_uri, self.queue.name, message, exc_info[1], retry_policy(settings), self.event_type)
        except Exception:
            # Could not park it: give it back to the broker rather than lose it.
            logger.exception("could not schedule a retry, requeueing: %s", self.queue.name)
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)


class BatchEventHandler(Entrypoint):  # type: ignore[misc]
    """Runs the decorated method with a list of event bodies (baifang_common.batching)."""

    def __init__(self, source: str, event_type: str, *, dedupe: bool = True, max_batch: int = 0, **kwargs: Any) -> None:
        self.source = source
        self.event_type = event_type
        self.dedupe = dedupe
        self.max_batch = max_batch
        self.consumer: BatchConsumer | None = None
        self._stopping = False
        self._thread: Any = None
        super().__init__(**kwargs)

    def setup(self) -> None:
        settings: ServiceSettings = self.container.config[SETTINGS_KEY]
        queue = event_queue(self.source, self.event_type, self.container.service_name, self.method_name)
        self.consumer = BatchConsumer(
            settings.amqp_uri,
            queue,
            self._run_method,
            event_types=[self.event_type],
            max_batch=min(settings.consumer_batch_max, self.max_batch or settings.consumer_batch_max),
            max_wait_s=settings.consumer_batch_wait_ms / 1000.0,
            inbox=self._inbox,
            policy=retry_policy(settings),
        )

    def start(self) -> None:
        assert self.consumer is not None
        self._thread = self.container.spawn_managed_thread(
            lambda: self.consumer.run(lambda: self._stopping), identifier=f"batch consumer {self.method_name}"
        )

    def stop(self) -> None:
        """Finish (and acknowledge) the batch in hand; what was prefetched goes back to the queue."""
        self._stopping = True
        if self._thread is not None:
            self._thread.wait()

    def kill(self) -> None:
        self._stopping = True
        if self._thread is not None:
            self._thread.kill()

    def _inbox(self) -> ProcessedEvents | None:
        """The service's `deps.inbox` (the handler's own database), when this handler deduplicates."""
        if not self.dedupe:
            return None
        provider = next(d for d in self.container.dependencies if getattr(d, "attr_name", None) == "deps")
        inbox: ProcessedEvents = provider.deps.inbox
        return inbox

    def _run_method(self, bodies: list[dict[str, Any]]) -> None:
        """One nameko worker for the batch; its exception, if any, is raised here."""
        done: eventlet.event.Event = eventlet.event.Event()

        def handle_result(worker_ctx: WorkerContext, result: Any, exc_info: Any) -> tuple[Any, Any]:
            done.send(exc_info)
            return result, exc_info

        try:
            self.container.spawn_worker(self, (bodies,), {}, context_data={}, handle_result=handle_result)
        except ContainerBeingKilled as exc:
            raise Stopped from exc
        exc_info = done.wait()
        if exc_info is not None:
            raise exc_info[1]


def batch_event_handler(
    source: str, event_type: str, *, dedupe: bool = True, max_batch: int = 0
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """`@batch_event_handler("checkin", "track.batch_accepted")` on a method taking a list of JSON bodies.

    The method applies them all with one store write, idempotently (a batch may be redelivered).
    `dedupe=True` skips event ids its service's `deps.inbox` has seen (one query and one insert
    per batch); handlers idempotent by construction pass False. `max_batch` caps the batch below
    `<SVC>_CONSUMER_BATCH_MAX` for events that are large each (0: no cap of its own).
    """
    return BatchEventHandler.decorator(  # type: ignore[no-any-return]
        source, event_type, dedupe=dedupe, max_batch=max_batch
    )


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
                    observe_age(event_type, body.get("occurred_at"))
                except Exception:
                    outcome = "failed"
                    logger.exception("event handler failed: %s %s", event_type, event_id)
                    raise
                finally:
                    EVENT_CONSUME_SECONDS.labels(event_type, outcome).observe(time.perf_counter() - start)

        return ReliableEventHandler.decorator(source, event_type)(handle)  # type: ignore[no-any-return]

    return decorate


class RequestId(DependencyProvider):  # type: ignore[misc]
    """Exposes the request id that came with the event (AMQP header nameko.request_id)."""

    def get_dependency(self, worker_ctx: WorkerContext) -> str:
        return str(worker_ctx.context_data.get(AMQP_REQUEST_ID_HEADER.split(".", 1)[1], ""))


def run_worker(service_cls: type, settings: ServiceSettings) -> None:
    """Run one nameko service until SIGTERM, with /metrics, /healthz and /readyz."""
    mongo = mongo_factory.client(settings)
    started = {"ok": False}

    def consumers() -> None:
        """Ready once every queue exists: the broker drops an event routed to no queue, so a worker
        that answered ready before its batched consumers declared theirs could miss the first events."""
        if not started["ok"]:
            raise RuntimeError("consumers not started")
        waiting = [
            entrypoint.method_name
            for container in runner.containers
            for entrypoint in container.entrypoints
            if isinstance(entrypoint, BatchEventHandler) and not (entrypoint.consumer and entrypoint.consumer.declared)
        ]
        if waiting:
            raise RuntimeError(f"queues not declared yet: {', '.join(sorted(waiting))}")

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
