"""The one table from gRPC status to HTTP status, and the docs/api.md error body for every failure.

Body: {"error": {"code", "message", "details"}}. Bad input is always a 4xx, never a 500.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import grpc
import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pymongo.errors import ConnectionFailure
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.exceptions import HTTPException

from baifang_common.interceptors import error_from_rpc

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 1
MAX_RETRY_AFTER_SECONDS = 300

# gRPC status → (HTTP status, code used when the peer sent no API code).
GRPC_TO_HTTP: dict[grpc.StatusCode, tuple[int, str]] = {
    grpc.StatusCode.INVALID_ARGUMENT: (400, "invalid_request"),
    grpc.StatusCode.UNAUTHENTICATED: (401, "unauthenticated"),
    grpc.StatusCode.PERMISSION_DENIED: (403, "forbidden"),
    grpc.StatusCode.NOT_FOUND: (404, "not_found"),
    grpc.StatusCode.FAILED_PRECONDITION: (409, "conflict"),
    grpc.StatusCode.ALREADY_EXISTS: (409, "conflict"),
    grpc.StatusCode.ABORTED: (409, "conflict"),
    grpc.StatusCode.OUT_OF_RANGE: (422, "rule_violation"),
    grpc.StatusCode.RESOURCE_EXHAUSTED: (429, "rate_limited"),
    grpc.StatusCode.UNAVAILABLE: (503, "unavailable"),
    grpc.StatusCode.DEADLINE_EXCEEDED: (503, "unavailable"),
}
INTERNAL = (500, "internal")
# API codes whose HTTP status is not their gRPC status's: the photo checks are rule violations in
# the service (OUT_OF_RANGE) but HTTP has a status of their own for them.
CODE_TO_HTTP: dict[str, int] = {"unsupported_media_type": 415, "payload_too_large": 413}
_RETRY_LATER = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED}

# HTTP errors raised by the framework (unknown route, wrong method, ...) → API code.
HTTP_CODES: dict[int, str] = {
    400: "invalid_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    426: "upgrade_required",
    429: "rate_limited",
    503: "unavailable",
}


class ApiError(Exception):
    """An expected failure answered with a docs/api.md error body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}


class JsonResponse(JSONResponse):
    """orjson rendering: UTF-8 as is (Chinese text unescaped), twice as fast as the stdlib."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(error: ApiError) -> Response:
    return JsonResponse(error_body(error.code, error.message, error.details), error.status, headers=error.headers)


def _integral(value: Any) -> Any:
    """protobuf Struct carries every number as a double; 3.0 goes back to 3."""
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def retry_after(details: dict[str, Any]) -> int:
    """Whole seconds to wait: the peer's `details.retry_after` when it sent one (back-pressure), else the default."""
    value = details.get("retry_after")
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
        return min(math.ceil(value), MAX_RETRY_AFTER_SECONDS)
    return RETRY_AFTER_SECONDS


def from_grpc(status: grpc.StatusCode, code: str, message: str, details: dict[str, Any]) -> ApiError:
    """Map a peer's failure through the table; its API code and details pass through unchanged."""
    http_status, default_code = GRPC_TO_HTTP.get(status, INTERNAL)
    if http_status == 500:
        return ApiError(500, "internal", "internal error")
    wait = retry_after(details)
    if status in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        given = {"retry_after_s": wait} if "retry_after" in details else {}
        code, message, details = "unavailable", "a dependency is unavailable, retry later", given
    if code == "invalid_argument":  # the services' generic 400 code; clients see one: invalid_request
        code = "invalid_request"
    headers = {"Retry-After": str(wait)} if status in _RETRY_LATER else {}
    http_status = CODE_TO_HTTP.get(code, http_status)
    return ApiError(http_status, code or default_code, message or default_code, _integral(details), headers)


def from_rpc_error(exc: grpc.RpcError) -> ApiError:
    """A failed call (grpc.aio's AioRpcError included) as an ApiError."""
    try:
        status, code, message, details = error_from_rpc(exc)
    except ValueError:  # a trailer inconsistent with the status: trust the status only
        status, code, message, details = exc.code(), "", "", {}  # type: ignore[attr-defined]
    return from_grpc(status, code, message, details)


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if len(parts) > 1 and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_details(errors: Any) -> dict[str, str]:
    """One entry per offending field: {"lat": "Input should be less than or equal to 90"}."""
    details: dict[str, str] = {}
    for err in errors:
        loc = err.get("loc", ())
        if err.get("type") == "json_invalid":
            details["body"] = "malformed JSON: " + str(err.get("ctx", {}).get("error", "decode error"))
            continue
        details.setdefault(_field_name(loc), str(err.get("msg", "invalid")))
    return details


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(ApiError(400, "invalid_request", "request is malformed", validation_details(exc.errors())))


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "internal" if exc.status_code >= 500 else "invalid_request")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    headers = dict(exc.headers or {})
    return error_response(ApiError(exc.status_code, code, message.lower(), {}, headers))


async def _store_down(_request: Request, exc: Exception) -> Response:
    """The gateway's own Redis or store out of reach is a dependency down: 503 and retry, not a 500."""
    logger.warning("gateway dependency failed: %s: %s", type(exc).__name__, exc)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return error_response(ApiError(503, "unavailable", "a dependency is unavailable, retry later", {}, headers))


ERROR_BODY_SCHEMA: dict[str, Any] = {
    "title": "ErrorBody",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "description": "snake_case, stable: clients branch on it"},
                "message": {"type": "string"},
                "details": {"type": "object", "description": "e.g. each offending field, retry_after_s"},
            },
        }
    },
}
ERROR_RESPONSE: dict[str, Any] = {
    "description": "Any error (400, 401, 403, 404, 405, 409, 413, 415, 422, 426, 429, 503): the error body",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
}


def document_errors(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document as the gateway answers: FastAPI's 422 validation body is never sent (bad
    input is a 400 with the error body), and every operation may answer the error body."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            responses["default"] = ERROR_RESPONSE
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["ErrorBody"] = ERROR_BODY_SCHEMA
    return document


def install(app: FastAPI) -> None:
    """Register the handlers; unhandled exceptions are answered by the middleware (500 internal)."""
    app.add_exception_handler(ApiError, _api_error)
    for unreachable in (RedisConnectionError, RedisTimeoutError, ConnectionFailure):
        app.add_exception_handler(unreachable, _store_down)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
