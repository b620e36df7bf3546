"""Channels to peer services: deadlines, retries on idempotent RPCs, identity propagation."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import grpc

from baifang_common.context import Caller
from baifang_common.errors import DomainError, RemoteError, Unavailable
from baifang_common.identity import Signer, load_signer
from baifang_common.interceptors import ClientInterceptor, error_from_rpc

T = TypeVar("T")

_TRANSIENT = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}


def retry_config(service: str, idempotent_methods: Iterable[str]) -> str:
    """A gRPC service config retrying UNAVAILABLE only for the named (idempotent) methods."""
    return json.dumps(
        {
            "methodConfig": [
                {
                    "name": [{"service": service, "method": m} for m in idempotent_methods],
                    "retryPolicy": {
                        "maxAttempts": 3,
                        "initialBackoff": "0.05s",
                        "maxBackoff": "0.5s",
                        "backoffMultiplier": 2,
                        "retryableStatusCodes": ["UNAVAILABLE"],
                    },
                }
            ]
        }
    )


def channel(
    target: str,
    service_config: str | None = None,
    default_timeout: float = 5.0,
    identity: Caller | None = None,
    signer: Signer | None = None,
) -> grpc.Channel:
    """A sync channel for service-to-service calls (one per peer, created in bootstrap).

    Every call is signed by `signer`, by default this process's key as the service `identity` names
    (e.g. `Caller.service("checkin")`); `identity` is the caller sent when no user's call is served.
    """
    if signer is None:
        if identity is None:
            raise ValueError("a service channel needs the identity it speaks as")
        signer = load_signer(identity.id)
    options: list[tuple[str, Any]] = [("grpc.enable_retries", 1), ("grpc.keepalive_time_ms", 30000)]
    if service_config:
        options.append(("grpc.service_config", service_config))
    interceptor = ClientInterceptor(default_timeout, signer, identity)
    return grpc.intercept_channel(grpc.insecure_channel(target, options=options), interceptor)


def to_domain_error(exc: grpc.RpcError) -> DomainError:
    """A peer's failure as a DomainError that keeps the peer's status and API code."""
    status, code, message, details = error_from_rpc(exc)
    if status in _TRANSIENT:
        return Unavailable(f"peer unavailable: {status.name.lower()}")
    return RemoteError(status, code or status.name.lower(), message, details)


def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Invoke a stub method, turning RpcError into DomainError so it flows to our own caller."""
    try:
        return fn(*args, **kwargs)
    except grpc.RpcError as exc:
        raise to_domain_error(exc) from exc
