"""`python -m gateway`: uvicorn with uvloop and httptools, our JSON access log, graceful shutdown."""

from __future__ import annotations

import sys

import orjson
import uvicorn
from pydantic import ValidationError
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

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


def main() -> None:
    try:
        settings = GatewaySettings()
    except ValidationError as exc:  # e.g. BAIFANG_ENV=production with a development default
        messages = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        sys.exit(f"gateway: {messages}")
    configure_logging("gateway", "gateway", settings.log_level)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.bind_host,
        port=settings.port,
        loop="uvloop",
        http=JsonErrorHttpProtocol,
        lifespan="on",
        access_log=False,
        log_config=None,
        server_header=False,
        timeout_graceful_shutdown=10,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
