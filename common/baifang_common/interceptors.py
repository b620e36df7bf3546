"""Server and client interceptors: request id and caller, metrics, DomainError → gRPC status."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import grpc
from google.protobuf import struct_pb2
from google.protobuf.json_format import MessageToDict
from google.rpc import status_pb2
from grpc_status import rpc_status
from pymongo.errors import ConnectionFailure

from baifang.common.v1 import common_pb2
from baifang_common import context
from baifang_common.errors import DomainError, Unavailable, code_of, status_of
from baifang_common.metrics import GRPC_HANDLED, GRPC_SECONDS

logger = logging.getLogger(__name__)


def _split(method: str) -> tuple[str, str]:
    _, service, name = method.split("/") if method.count("/") == 2 else ("", "unknown", method)
    return service, name


def error_status(error: DomainError) -> status_pb2.Status:
    """The google.rpc.Status trailer that carries our code and details across gRPC."""
    details = struct_pb2.Struct()
    details.update(_jsonable(error.details))
    status = status_pb2.Status(code=status_of(error).value[0], message=error.message)
    status.details.add().Pack(common_pb2.ErrorDetail(code=code_of(error), details=details))
    return status


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return float(value)
    return str(value)


class ServerInterceptor(grpc.ServerInterceptor):
    """Binds request id and caller from metadata, records metrics and maps errors to statuses."""

    def intercept_service(
        self, continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler], details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler:
        handler = continuation(details)
        if handler is None:
            return handler
        service, method = _split(details.method)
        request_id, caller = context.from_metadata(details.invocation_metadata)

        def wrap(behavior: Callable[..., Any], streaming_response: bool) -> Callable[..., Any]:
            def run(request: Any, ctx: grpc.ServicerContext) -> Any:
                start = time.perf_counter()
                code = grpc.StatusCode.OK
                with context.bound(request_id, caller):
                    try:
                        result = behavior(request, ctx)
                        return list(result) if streaming_response else result
                    except DomainError as exc:
                        code = status_of(exc)
                        ctx.abort_with_status(rpc_status.to_status(error_status(exc)))
                    except ConnectionFailure as exc:  # the service's own store is down: retry later, not a bug
                        code = grpc.StatusCode.UNAVAILABLE
                        logger.warning("store unavailable in %s: %s", details.method, exc)
                        unavailable = Unavailable("the service's store is unavailable, retry later", reason="store")
                        ctx.abort_with_status(rpc_status.to_status(error_status(unavailable)))
                    except Exception:
                        if ctx.code() is not None and ctx.code() != grpc.StatusCode.OK:
                            code = ctx.code()
                            raise
                        code = grpc.StatusCode.INTERNAL
                        logger.exception("unhandled error in %s", details.method)
                        ctx.abort(grpc.StatusCode.INTERNAL, "internal error")
                    finally:
                        labels = (service, method, code.name)
                        GRPC_HANDLED.labels(*labels).inc()
                        GRPC_SECONDS.labels(*labels).observe(time.perf_counter() - start)

            return run

        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                wrap(handler.unary_unary, False), handler.request_deserializer, handler.response_serializer
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                wrap(handler.stream_unary, False), handler.request_deserializer, handler.response_serializer
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                wrap(handler.unary_stream, True), handler.request_deserializer, handler.response_serializer
            )
        return handler


class _ClientCallDetails(grpc.ClientCallDetails):
    def __init__(self, base: grpc.ClientCallDetails, metadata: list[tuple[str, str]], timeout: float | None) -> None:
        self.method = base.method
        self.timeout = timeout
        self.metadata = metadata
        self.credentials = base.credentials
        self.wait_for_ready = getattr(base, "wait_for_ready", None)
        self.compression = getattr(base, "compression", None)


class ClientInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.StreamUnaryClientInterceptor):
    """Forwards request id and caller to the peer and sets a deadline when the caller gave none."""

    def __init__(self, default_timeout: float) -> None:
        self.default_timeout = default_timeout

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        metadata = list(details.metadata or [])
        if not any(k == context.REQUEST_ID_KEY for k, _ in metadata):
            metadata += context.caller_metadata(context.current_caller(), context.current_request_id())
        timeout = details.timeout if details.timeout is not None else self.default_timeout
        return _ClientCallDetails(details, metadata, timeout)

    def intercept_unary_unary(self, continuation: Any, details: grpc.ClientCallDetails, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation: Any, details: grpc.ClientCallDetails, request_iterator: Any) -> Any:
        return continuation(self._details(details), request_iterator)


def error_from_rpc(exc: grpc.RpcError) -> tuple[grpc.StatusCode, str, str, dict[str, Any]]:
    """Status, API code, message and details of a failed call (ours or the transport's)."""
    status = exc.code() if hasattr(exc, "code") else grpc.StatusCode.UNKNOWN
    message = exc.details() if hasattr(exc, "details") else str(exc)
    decoded = rpc_status.from_call(exc) if hasattr(exc, "trailing_metadata") else None  # type: ignore[arg-type]
    if decoded is not None:
        for any_detail in decoded.details:
            detail = common_pb2.ErrorDetail()
            if any_detail.Unpack(detail):
                return status, detail.code, decoded.message, MessageToDict(detail.details)
    return status, "", message or "", {}
