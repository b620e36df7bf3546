"""`python -m gateway`: uvicorn with uvloop and httptools, our JSON access log, graceful shutdown;
one process, or `GATEWAY_WORKERS` processes on one port."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from typing import Any

import orjson
import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.supervisors.multiprocess import Multiprocess

from baifang_common.logging import configure_logging
from gateway.errors import error_body
from gateway.main import create_app
from gateway.settings import GatewaySettings

_MALFORMED = orjson.dumps(error_body("invalid_request", "malformed HTTP request (request line, headers or framing)"))


class JsonErrorHttpProtocol(HttpToolsProtocol):
    """httptools with the API's error body for requests it cannot parse (a bad Content-Length, broken
    chunking), which never reach the application: uvicorn answers those with plain text."""

    def send_400_response(self, msg: str) -> None:
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        head += [name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers]
        head += [
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(_MALFORMED)).encode() + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + _MALFORMED)
        self.transport.close()


def _settings() -> GatewaySettings:
    try:
        return GatewaySettings()
    except ValidationError as exc:  # e.g. BAIFANG_ENV=production with a development default
        messages = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        sys.exit(f"gateway: {messages}")


def worker_app() -> FastAPI:
    """The app of one worker process (`GATEWAY_WORKERS` > 1): each builds its own clients."""
    settings = _settings()
    configure_logging("gateway", "gateway", settings.log_level)
    return create_app(settings)


def _config(app: FastAPI | str, settings: GatewaySettings, **extra: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.bind_host,
        port=settings.port,
        loop="uvloop",
        http="gateway.__main__:JsonErrorHttpProtocol" if isinstance(app, str) else JsonErrorHttpProtocol,
        lifespan="on",
        access_log=False,
        log_config=None,
        server_header=False,
        timeout_keep_alive=settings.keep_alive_seconds,
        timeout_graceful_shutdown=10,
        **extra,
    )


def _serve_workers(settings: GatewaySettings) -> None:
    """Several worker processes accepting on one socket, for a machine whose gateway would otherwise be
    one core (in Kubernetes the gateway scales by replicas instead). Their Prometheus metrics are
    written to a directory shared by the workers and summed by whichever one answers /metrics."""
    metrics_dir = tempfile.mkdtemp(prefix="baifang-gateway-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir  # inherited by the spawned workers
    config = _config(
        "gateway.__main__:worker_app",
        settings,
        factory=True,
        workers=settings.workers,
        timeout_worker_healthcheck=30,  # a worker busy at a peak is not a hung one
    )
    try:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def main() -> None:
    settings = _settings()
    configure_logging("gateway", "gateway", settings.log_level)
    if settings.workers > 1:
        _serve_workers(settings)
    else:
        uvicorn.Server(_config(create_app(settings), settings)).run()


if __name__ == "__main__":
    main()
