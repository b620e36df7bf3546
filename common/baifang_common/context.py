"""Request id and caller identity that follow a call through gateway, gRPC and events."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from baifang_common.errors import Unauthenticated

# The caller travels between processes only inside a signed token (baifang_common.identity),
# never as plain metadata.
# nameko copies headers with this prefix into worker_ctx.context_data.
AMQP_REQUEST_ID_HEADER = "nameko.request_id"


SERVICE_ROLE = "service"


@dataclass(frozen=True)
class Caller:
    """Who is asking: a user the gateway authenticated, or one of our services acting for itself."""

    id: str
    role: str
    team_id: str = ""

    @classmethod
    def service(cls, name: str) -> Caller:
        """A service calling on its own account (a worker, a call outside any user's request)."""
        return cls(id=name, role=SERVICE_ROLE)

    @property
    def is_service(self) -> bool:
        return self.role == SERVICE_ROLE

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
caller_var: contextvars.ContextVar[Caller | None] = contextvars.ContextVar("caller", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str:
    return request_id_var.get()


def current_caller() -> Caller | None:
    """The caller bound to this call or event, if any (forwarded to peers by the client interceptor)."""
    return caller_var.get()


def require_caller() -> Caller:
    """The caller of this gRPC call; UNAUTHENTICATED when the call carried none.

    Every servicer method asks here, so use cases and rules always get a Caller.
    """
    caller = caller_var.get()
    if caller is None:
        raise Unauthenticated("caller identity missing")
    return caller


@contextmanager
def bound(request_id: str, caller: Caller | None = None) -> Iterator[None]:
    """Bind request id and caller for the duration of one call or one event."""
    t1 = request_id_var.set(request_id or new_request_id())
    t2 = caller_var.set(caller)
    try:
        yield
    finally:
        request_id_var.reset(t1)
        caller_var.reset(t2)
