"""Server and client interceptors: signed identity and the per-RPC allow-list, metrics, DomainError → gRPC status."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import grpc
from google.protobuf import struct_pb2
from google.protobuf.json_format import MessageToDict
from google.rpc import status_pb2
from grpc_status import rpc_status

from baifang.common.v1 import common_pb2
from baifang_common import context
from baifang_common.errors import DomainError, PermissionDenied, code_of, status_of
from baifang_common.identity import TOKEN_KEY, Signer, Verifier
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


# Who may call which RPC: full service name → method name → issuers allowed (see Servicer.callers).
CallerPolicy = Mapping[str, Mapping[str, frozenset[str]]]
# Open to anyone who reaches the port: probes must work without keys.
OPEN_SERVICES = frozenset({"grpc.health.v1.Health"})


class ServerInterceptor(grpc.ServerInterceptor):
    """Verifies the caller's signed identity against the RPC's allow-list, binds request id and caller,
    records metrics and maps errors to statuses.

    No valid token: UNAUTHENTICATED; a valid token from an issuer the RPC does not allow:
    PERMISSION_DENIED; a method nobody declared: PERMISSION_DENIED (fail closed). Health stays open,
    and so does reflection where the server enabled it (`open_services`).
    """

    def __init__(self, verifier: Verifier, policy: CallerPolicy, open_services: frozenset[str] = OPEN_SERVICES) -> None:
        self.verifier = verifier
        self.policy = policy
        self.open_services = open_services

    def intercept_service(
        self, continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler], details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler:
        handler = continuation(details)
        service, method = _split(details.method)
        if handler is None or service in self.open_services:
            return handler
        if not handler.unary_unary:
            return _refuse(handler, grpc.StatusCode.PERMISSION_DENIED, "method not open to callers")
        allowed = self.policy.get(service, {}).get(method, frozenset())
        metadata = details.invocation_metadata
        behavior = handler.unary_unary

        def run(request: Any, ctx: grpc.ServicerContext) -> Any:
            start = time.perf_counter()
            code = grpc.StatusCode.OK
            request_id, caller = "", None
            try:
                verified = self.verifier.verify_metadata(metadata)
                if verified.issuer not in allowed:
                    raise PermissionDenied(f"{verified.issuer} may not call {method}", caller=verified.issuer)
                request_id, caller = verified.request_id, verified.caller
            except DomainError as exc:
                code = status_of(exc)
                _count(service, method, code, start)
                ctx.abort_with_status(rpc_status.to_status(error_status(exc)))
            with context.bound(request_id, caller):
                try:
                    return behavior(request, ctx)
                except DomainError as exc:
                    code = status_of(exc)
                    ctx.abort_with_status(rpc_status.to_status(error_status(exc)))
                except Exception:
                    if ctx.code() is not None and ctx.code() != grpc.StatusCode.OK:
                        code = ctx.code()
                        raise
                    code = grpc.StatusCode.INTERNAL
                    logger.exception("unhandled error in %s", details.method)
                    ctx.abort(grpc.StatusCode.INTERNAL, "internal error")
                finally:
                    _count(service, method, code, start)

        return grpc.unary_unary_rpc_method_handler(run, handler.request_deserializer, handler.response_serializer)


def _count(service: str, method: str, code: grpc.StatusCode, start: float) -> None:
    labels = (service, method, code.name)
    GRPC_HANDLED.labels(*labels).inc()
    GRPC_SECONDS.labels(*labels).observe(time.perf_counter() - start)


def _refuse(handler: grpc.RpcMethodHandler, status: grpc.StatusCode, message: str) -> grpc.RpcMethodHandler:
    """A streaming handler of a non-open service, replaced by one that only refuses."""

    def deny(_request: Any, ctx: grpc.ServicerContext) -> Any:
        ctx.abort(status, message)

    if handler.stream_stream:
        return grpc.stream_stream_rpc_method_handler(deny, handler.request_deserializer, handler.response_serializer)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(deny, handler.request_deserializer, handler.response_serializer)
    return grpc.unary_stream_rpc_method_handler(deny, handler.request_deserializer, handler.response_serializer)


class _ClientCallDetails(grpc.ClientCallDetails):
    def __init__(self, base: grpc.ClientCallDetails, metadata: list[tuple[str, str]], timeout: float | None) -> None:
        self.method = base.method
        self.timeout = timeout
        self.metadata = metadata
        self.credentials = base.credentials
        self.wait_for_ready = getattr(base, "wait_for_ready", None)
        self.compression = getattr(base, "compression", None)


class ClientInterceptor(grpc.UnaryUnaryClientInterceptor):
    """Signs each call with this process's identity and sets a deadline when the caller gave none.

    The token names the user bound to the current call (the peer acts on that user's behalf), else
    `identity`: the calling service itself, so a peer never sees an anonymous call from us. The
    issuer is always `signer.issuer`, whoever the token speaks for.
    """

    def __init__(self, default_timeout: float, signer: Signer, identity: context.Caller | None = None) -> None:
        self.default_timeout = default_timeout
        self.signer = signer
        self.identity = identity

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        metadata = list(details.metadata or [])
        if not any(k == TOKEN_KEY for k, _ in metadata):
            caller = context.current_caller() or self.identity
            metadata += self.signer.metadata(caller, context.current_request_id())
        timeout = details.timeout if details.timeout is not None else self.default_timeout
        return _ClientCallDetails(details, metadata, timeout)

    def intercept_unary_unary(self, continuation: Any, details: grpc.ClientCallDetails, request: Any) -> Any:
        return continuation(self._details(details), request)


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
