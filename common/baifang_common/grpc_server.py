"""serve(): the one way a service's gRPC process starts, runs and drains."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from baifang_common.identity import Verifier, load_verifier
from baifang_common.interceptors import OPEN_SERVICES, ServerInterceptor
from baifang_common.metrics import start_ops_server
from baifang_common.settings import ServiceSettings

logger = logging.getLogger(__name__)

LIVENESS = "liveness"


@dataclass(frozen=True)
class Servicer:
    """A servicer with the generated add_*_to_server function, its full service name and who may call it.

    `callers` maps each RPC name to the identity issuers allowed to call it ("gateway" for the public
    API, a service name for internal RPCs); an RPC not listed is refused to everyone.
    """

    add_to_server: Callable[[Any, grpc.Server], None]
    servicer: Any
    name: str
    callers: Mapping[str, frozenset[str]] = field(default_factory=dict)


class RunningServer:
    """A started server with its health servicer, stoppable from a signal or a test."""

    def __init__(
        self, server: grpc.Server, port: int, health_servicer: health.HealthServicer, names: list[str]
    ) -> None:
        self.server = server
        self.port = port
        self.health = health_servicer
        self.names = names
        self._watch_stop = threading.Event()

    def set_serving(self, serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ["", *self.names]:
            self.health.set(name, status)

    def watch_readiness(self, readiness: Callable[[], list[str]], interval: float = 2.0) -> None:
        """Keep the overall health in step with the dependencies (a Mongo blip → NOT_SERVING)."""

        def loop() -> None:
            while not self._watch_stop.is_set():
                self.set_serving(not readiness())
                self._watch_stop.wait(interval)

        threading.Thread(target=loop, name="readiness", daemon=True).start()

    def stop(self, grace: float = 10.0, drain: float = 0.0) -> None:
        self._watch_stop.set()
        self.health.enter_graceful_shutdown()
        if drain:
            threading.Event().wait(drain)
        self.server.stop(grace).wait()


def start(
    servicers: Sequence[Servicer],
    port: int = 0,
    max_workers: int = 16,
    host: str = "127.0.0.1",
    reflection_enabled: bool = False,
    verifier: Verifier | None = None,
) -> RunningServer:
    """Start a server with the house interceptors and health; port 0 picks a free one.

    Callers are checked by `verifier` (this process's trusted issuers by default) against each
    servicer's allow-list. Reflection only when enabled (development).
    """
    policy = {s.name: s.callers for s in servicers}
    open_services = OPEN_SERVICES | ({reflection.SERVICE_NAME} if reflection_enabled else set())
    interceptor = ServerInterceptor(verifier or load_verifier(), policy, frozenset(open_services))
    server = grpc.server(
        ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="grpc"),
        interceptors=[interceptor],
        options=[
            ("grpc.so_reuseport", 0),
            ("grpc.max_receive_message_length", 16 * 1024 * 1024),
            # Clients reconnect now and then, so pods added by the autoscaler get their share.
            ("grpc.max_connection_age_ms", 300_000),
            ("grpc.max_connection_age_grace_ms", 30_000),
        ],
    )
    for s in servicers:
        s.add_to_server(s.servicer, server)
    health_servicer = health.HealthServicer(experimental_non_blocking=True)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = [s.name for s in servicers]
    if reflection_enabled:
        reflection.enable_server_reflection([*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    bound = server.add_insecure_port(f"{host}:{port}")
    server.start()
    running = RunningServer(server, bound, health_servicer, names)
    running.set_serving(False)
    health_servicer.set(LIVENESS, health_pb2.HealthCheckResponse.SERVING)
    return running


def serve(
    settings: ServiceSettings,
    servicers: Sequence[Servicer],
    readiness: Callable[[], list[str]],
    on_stop: Callable[[], None] = lambda: None,
) -> None:
    """Run until SIGTERM/SIGINT: NOT_SERVING until ready, then drain and stop with grace."""
    running = start(servicers, settings.grpc_port, settings.grpc_workers, settings.bind_host, settings.grpc_reflection)
    start_ops_server(settings.metrics_port, readiness, settings.bind_host)
    running.watch_readiness(readiness)
    logger.info("grpc server listening on %d", running.port)
    stopping = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        logger.info("signal %d received, draining", signum)
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stopping.wait()
    running.stop(grace=10.0, drain=settings.drain_seconds)
    on_stop()
    logger.info("grpc server stopped")
