"""Exceptions that carry their API code and gRPC status, so every edge maps them alike.

Status choice: INVALID_ARGUMENT → 400 malformed, OUT_OF_RANGE → 422 business rule,
FAILED_PRECONDITION → 409 conflict with current state, the rest as gRPC names them.
Statuses are kept by name so that nameko workers, which raise these too, never import grpc.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    import grpc

logger = logging.getLogger(__name__)
T = TypeVar("T")


class DomainError(Exception):
    """Base of every expected failure; `details` names the offending fields or lines."""

    code: ClassVar[str] = "error"
    grpc_status: ClassVar[str] = "UNKNOWN"
    default_message: ClassVar[str] = "request failed"

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        self.details: dict[str, Any] = details
        super().__init__(self.message)


class InvalidArgument(DomainError):
    code = "invalid_argument"
    grpc_status = "INVALID_ARGUMENT"
    default_message = "malformed request"


class RuleViolation(DomainError):
    code = "rule_violation"
    grpc_status = "OUT_OF_RANGE"
    default_message = "business rule violated"


class NotFound(DomainError):
    code = "not_found"
    grpc_status = "NOT_FOUND"
    default_message = "not found"


class Conflict(DomainError):
    code = "conflict"
    grpc_status = "FAILED_PRECONDITION"
    default_message = "conflicts with the current state"


class PermissionDenied(DomainError):
    code = "forbidden"
    grpc_status = "PERMISSION_DENIED"
    default_message = "not allowed"


class Unauthenticated(DomainError):
    code = "unauthenticated"
    grpc_status = "UNAUTHENTICATED"
    default_message = "authentication required"


class RateLimited(DomainError):
    code = "rate_limited"
    grpc_status = "RESOURCE_EXHAUSTED"
    default_message = "too many requests"


class Unavailable(DomainError):
    code = "unavailable"
    grpc_status = "UNAVAILABLE"
    default_message = "a dependency is unavailable, retry later"


class RemoteError(DomainError):
    """A peer service's DomainError re-raised with its original code and status."""

    def __init__(self, status: grpc.StatusCode, code: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(message, **details)
        self.remote_status = status
        self.remote_code = code

    @property
    def status(self) -> grpc.StatusCode:
        return self.remote_status


def status_of(error: DomainError) -> grpc.StatusCode:
    """The gRPC status an error travels with (grpc imported here, only where gRPC is spoken)."""
    import grpc

    return error.remote_status if isinstance(error, RemoteError) else grpc.StatusCode[error.grpc_status]


def code_of(error: DomainError) -> str:
    return error.remote_code if isinstance(error, RemoteError) else error.code


def raises_unavailable(
    dependency: str, errors: tuple[type[Exception], ...], *, passing: tuple[type[Exception], ...] = ()
) -> Callable[[type[T]], type[T]]:
    """Class decorator for an adapter: a driver error (`errors`, except `passing`) escaping one of
    its public methods becomes Unavailable, so use cases never see a driver's exceptions."""

    def translate(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except passing:
                raise
            except errors as exc:
                logger.warning("%s unavailable in %s: %s", dependency, method.__qualname__, exc)
                raise Unavailable(f"{dependency} is unavailable, retry later") from exc

        return call

    def decorate(cls: type[T]) -> type[T]:
        for name, member in list(vars(cls).items()):
            if inspect.isfunction(member) and not name.startswith("_"):
                setattr(cls, name, translate(member))
        return cls

    return decorate
