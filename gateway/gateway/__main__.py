"""`python -m gateway`: uvicorn with uvloop and httptools, our JSON access log, graceful shutdown."""

from __future__ import annotations

import sys

import uvicorn
from pydantic import ValidationError

from baifang_common.logging import configure_logging
from gateway.main import create_app
from gateway.settings import GatewaySettings


def main() -> None:
    try:
        settings = GatewaySettings()
    except ValidationError as exc:  # e.g. BAIFANG_ENV=production with a development default
        messages = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        sys.exit(f"gateway: {messages}")
    configure_logging("gateway", "gateway", settings.log_level)
    config = uvicorn.Config(
        create_app(settings),
        host="0.0.0.0",
        port=settings.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_config=None,
        server_header=False,
        timeout_graceful_shutdown=10,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
