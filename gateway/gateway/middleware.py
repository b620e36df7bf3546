"""One pure-ASGI middleware for every request: request id, load shedding, client version gate, body
size limit, access log, Prometheus metrics and the last-resort 500 (logged with the request id, not leaked).
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from baifang_common.context import Caller, bound, new_request_id
from baifang_common.metrics import counter, histogram
from gateway.errors import ApiError, error_response
from gateway.settings import GatewaySettings

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("gateway.access")

HTTP_SECONDS = histogram(
    "baifang_http_request_seconds", "Gateway request latency by route template", ("route", "method", "status")
)
HTTP_TOTAL = counter("baifang_http_requests_total", "Gateway requests by route template", ("route", "method", "status"))
HTTP_SHED = counter("baifang_http_shed_total", "Requests answered 503 at once because the process was at max_in_flight")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_VERSION_PART = re.compile(r"^(\d{1,9})")
_CONTENT_LENGTH = re.compile(r"[0-9]+", re.ASCII)
API_PREFIX = "/api/"
# The one route whose body may exceed max_body_bytes: a photo upload (multipart headers add a little).
PHOTO_UPLOAD_PATH = "/api/v1/photos"
MULTIPART_OVERHEAD_BYTES = 64 * 1024
# Admin import files (gateway.imports) have their own, larger body limit.
IMPORT_PREFIX = "/api/v1/admin/import/"
# Never shed: a lost refresh sends a tablet to a password login, which costs far more (logins have
# their own bound, auth.PasswordHashing); probes and scrapes must see a busy process as alive.
UNSHED_PREFIXES = ("/api/v1/auth/", "/healthz", "/readyz", "/metrics")


class PayloadTooLarge(HTTPException):
    """Raised while the body streams in; FastAPI re-raises HTTPExceptions from body reading as is."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds {limit} bytes")


def parse_version(text: str) -> tuple[int, ...] | None:
    """'1.4.2' → (1, 4, 2); '2.0-beta' → (2, 0); None when it does not start with a number."""
    parts: list[int] = []
    for piece in text.strip().lstrip("vV").split("."):
        match = _VERSION_PART.match(piece)
        if match is None:
            break
        parts.append(int(match.group(1)))
        if len(match.group(1)) != len(piece):
            break
    return tuple(parts) if parts else None


def version_below(client: str, minimum: str) -> bool | None:
    """True when the client is older than the minimum; None when the client's version is unreadable."""
    have, need = parse_version(client), parse_version(minimum)
    if have is None:
        return None
    if need is None:
        return False
    width = max(len(have), len(need))
    return have + (0,) * (width - len(have)) < need + (0,) * (width - len(need))


class GatewayMiddleware:
    def __init__(self, app: ASGIApp, settings: GatewaySettings) -> None:
        self.app = app
        self.settings = settings
        self.in_flight = 0

    def _shed(self, scope: Scope) -> bool:
        """At max_in_flight requests in this process, another one waits behind all of them for CPU and
        for the services: answering 503 with Retry-After at once costs a fraction of serving it, keeps
        the admitted requests fast, and the tablet retries (its GPS stays buffered, its writes queued)."""
        limit = self.settings.max_in_flight
        return bool(limit) and self.in_flight >= limit and not str(scope.get("path", "")).startswith(UNSHED_PREFIXES)

    def body_limit(self, scope: Scope) -> int:
        """max_body_bytes, but a photo upload may carry a photo of up to photo_max_bytes, and admin
        import files may be larger than any other request body."""
        path = str(scope.get("path", ""))
        if scope.get("method") == "POST" and path.rstrip("/") == PHOTO_UPLOAD_PATH:
            return self.settings.photo_max_bytes + MULTIPART_OVERHEAD_BYTES
        if path.startswith(IMPORT_PREFIX):
            return self.settings.import_max_body_bytes
        return self.settings.max_body_bytes

    def _precheck(self, scope: Scope, headers: Headers) -> ApiError | None:
        """426 for outdated clients and 413 for a declared oversized body, before any routing."""
        s = self.settings
        client_version = headers.get("x-client-version")
        if client_version is not None and scope.get("path", "").startswith(API_PREFIX):
            below = version_below(client_version, s.app_minimum_version)
            if below is None:
                return ApiError(
                    400, "invalid_request", "unreadable client version", {"X-Client-Version": "not a version"}
                )
            if below:
                return ApiError(
                    426,
                    "upgrade_required",
                    "this client version is no longer supported, please upgrade",
                    {
                        "minimum": s.app_minimum_version,
                        "latest": s.app_latest_version,
                        "download_url": s.app_download_url,
                    },
                )
        length = headers.get("content-length")
        if length is not None:
            if not _CONTENT_LENGTH.fullmatch(length.strip()):
                return ApiError(400, "invalid_request", "bad Content-Length", {"Content-Length": "not a number"})
            limit = self.body_limit(scope)
            if int(length) > limit:
                return ApiError(413, "payload_too_large", "request body too large", {"limit_bytes": limit})
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else new_request_id()
        start = time.perf_counter()
        state: dict[str, Any] = {"status": 500, "started": False}
        limit = self.body_limit(scope)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(limit)
            return message

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
                state["status"] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        if self._shed(scope):
            HTTP_SHED.inc()
            busy = ApiError(503, "unavailable", "the gateway is busy, retry shortly", {}, {"Retry-After": "1"})
            await error_response(busy)(scope, receive, send_with_id)
            self._record(scope, 503, time.perf_counter() - start)
            return
        self.in_flight += 1
        with bound(request_id):
            try:
                early = self._precheck(scope, headers)
                if early is not None:
                    await error_response(early)(scope, receive, send_with_id)
                else:
                    await self.app(scope, limited_receive, send_with_id)
            except PayloadTooLarge:
                if not state["started"]:
                    error = ApiError(413, "payload_too_large", "request body too large", {"limit_bytes": limit})
                    await error_response(error)(scope, receive, send_with_id)
            except Exception:
                logger.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
                if not state["started"]:
                    await error_response(ApiError(500, "internal", "internal error"))(scope, receive, send_with_id)
            finally:
                self.in_flight -= 1
                self._record(scope, state["status"], time.perf_counter() - start)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "")
        labels = (template, method, str(status))
        HTTP_SECONDS.labels(*labels).observe(seconds)
        HTTP_TOTAL.labels(*labels).inc()
        caller = scope.get("state", {}).get("caller")
        access_logger.info(
            "%s %s %d",
            method,
            scope.get("path", ""),
            status,
            extra={
                "http_method": method,
                "path": scope.get("path", ""),
                "route": template,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "caller_id": caller.id if isinstance(caller, Caller) else "",
            },
        )
