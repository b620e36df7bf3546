"""Helpers every service's gRPC tests share: who calls, and what a failed call answered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import grpc
import pytest

from baifang_common.context import SERVICE_ROLE, Caller
from baifang_common.identity import GATEWAY, TOKEN_KEY, load_signer
from baifang_common.interceptors import error_from_rpc
from baifang_common.testing.plugin import unique


def caller_md(
    caller_id: str = "m001", role: str = "manager", team: str = "t01", issuer: str = ""
) -> list[tuple[str, str]]:
    """The metadata the gateway (or `issuer`, a service acting for this user) sends for this caller, the
    demo manager m001 by default: a token signed with that issuer's key, fresh request id.

    A service on its own account (role "service") signs as itself. Test modules build this once at
    import and the whole suite outlasts the 60 s a gateway token lives, so these tokens live an hour.
    """
    issuer = issuer or (caller_id if role == SERVICE_ROLE else GATEWAY)
    token = load_signer(issuer).mint(Caller(caller_id, role, team), unique("req"), ttl=TEST_TOKEN_TTL_S)
    return [(TOKEN_KEY, token)]


TEST_TOKEN_TTL_S = 3600


class RpcFailure(NamedTuple):
    """A failed call as a client sees it: gRPC status, API code, details."""

    status: grpc.StatusCode
    code: str
    details: dict[str, Any]


def rpc_error(call: Callable[[], Any]) -> RpcFailure:
    """What a call expected to fail answered (the test fails when it succeeds)."""
    with pytest.raises(grpc.RpcError) as info:
        call()
    status, code, _message, details = error_from_rpc(info.value)
    return RpcFailure(status, code, details)
