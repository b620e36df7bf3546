"""Metric constructors with house buckets and the ops HTTP server (/metrics /healthz /readyz).

Metrics are module-level (Prometheus' registry is process-wide); labels stay low-cardinality.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0)
AGE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)


def histogram(
    name: str, doc: str, labels: tuple[str, ...] = (), buckets: tuple[float, ...] = LATENCY_BUCKETS
) -> Histogram:
    return Histogram(name, doc, labels, buckets=buckets)


def counter(name: str, doc: str, labels: tuple[str, ...] = ()) -> Counter:
    return Counter(name, doc, labels)


def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
    return Gauge(name, doc, labels)


GRPC_HANDLED = counter(
    "grpc_server_handled_total", "RPCs completed on the server", ("grpc_service", "grpc_method", "grpc_code")
)
GRPC_SECONDS = histogram(
    "grpc_server_handling_seconds", "RPC handling time on the server", ("grpc_service", "grpc_method", "grpc_code")
)
EVENT_PUBLISH_SECONDS = histogram(
    "baifang_event_publish_seconds", "Time to publish one event until the broker confirmed", ("event_type",)
)
EVENT_CONSUME_SECONDS = histogram(
    "baifang_event_consume_seconds", "Time to handle one consumed event", ("event_type", "outcome")
)
EVENT_AGE_SECONDS = histogram(
    "baifang_event_age_seconds", "Age of an event when a consumer applied it", ("event_type",), AGE_BUCKETS
)
EVENT_DEAD_LETTERED = counter(
    "baifang_event_dead_lettered_total", "Events sent to a dead-letter queue", ("event_type",)
)
EVENT_RETRIED = counter("baifang_event_retried_total", "Events scheduled for another attempt", ("event_type",))
CONSUMER_BATCH_SIZE = histogram(
    "baifang_consumer_batch_size",
    "Messages a batched consumer applied with one store write",
    ("queue",),
    buckets=(1, 2, 5, 10, 25, 50, 100, 200, 500, 1000),
)
CONSUMER_BATCH_SECONDS = histogram(
    "baifang_consumer_batch_seconds", "Time a batched consumer took to apply and acknowledge one batch", ("queue",)
)


def exposition() -> bytes:
    """The /metrics text: this process's metrics, or, in a process that is one of several workers
    (PROMETHEUS_MULTIPROC_DIR set), every worker's summed, so a scrape sees one gateway."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()


ReadinessCheck = Callable[[], list[str]]


class _OpsHandler(BaseHTTPRequestHandler):
    readiness: ReadinessCheck = staticmethod(lambda: [])  # type: ignore[assignment]

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._send(200, exposition(), CONTENT_TYPE_LATEST)
        elif path == "/healthz":
            self._send(200, b'{"status":"ok"}', "application/json")
        elif path == "/readyz":
            failures = type(self).readiness()
            if failures:
                body = ('{"status":"unavailable","failing":[' + ",".join(f'"{f}"' for f in failures) + "]}").encode()
                self._send(503, body, "application/json")
            else:
                self._send(200, b'{"status":"ready"}', "application/json")
        else:
            self._send(404, b'{"status":"not found"}', "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return


def start_ops_server(port: int, readiness: ReadinessCheck, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Serve /metrics, /healthz (alive) and /readyz (dependencies) on the metrics port (loopback by default)."""
    handler = type("OpsHandler", (_OpsHandler,), {"readiness": staticmethod(readiness)})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="ops-http", daemon=True).start()
    logger.info("ops server listening on %d", server.server_address[1])
    return server
