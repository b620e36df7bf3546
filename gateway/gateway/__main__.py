"""`python -m gateway`: uvicorn with uvloop and httptools, our JSON access log, graceful shutdown."""

from __future__ import annotations

import uvicorn

from baifang_common.logging import configure_logging
from gateway.main import create_app
from gateway.settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", "gateway", settings.log_level)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.bind_host,
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
