"""Service-to-service trust against the real gRPC servers of the four services.

Every RPC of every service (enumerated from the generated service descriptors, so a new RPC is
covered the day it is added) is called directly, as someone who reached the port would: without
metadata, with forged plain caller metadata, with a token signed by a key nobody trusts, with an
expired token, and with a valid token from an issuer the RPC does not allow. Each is refused.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import psutil
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from baifang.analytics.v1 import analytics_pb2
from baifang.checkin.v1 import checkin_pb2
from baifang.collection.v1 import collection_pb2
from baifang.planning.v1 import planning_pb2
from baifang_common.context import Caller
from baifang_common.grpc_server import RunningServer, start
from baifang_common.identity import GATEWAY, ISSUERS, Signer, load_signer
from baifang_common.metrics import start_ops_server
from baifang_common.settings import ServiceSettings

pytestmark = pytest.mark.integration

# Each service's proto module and package (grpc_api, bootstrap, settings).
SERVICES: dict[str, Any] = {
    "planning": planning_pb2,
    "checkin": checkin_pb2,
    "collection": collection_pb2,
    "analytics": analytics_pb2,
}
ADMIN = Caller("admin", "admin", "")
FORGED = [("x-caller-id", "admin"), ("x-caller-role", "admin"), ("x-caller-team", ""), ("x-request-id", "r1")]
REFUSED = {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED}


def _servicer(name: str, settings_for: Callable[..., Any]) -> tuple[Any, Any]:
    """The real servicer of a service over its real dependencies, and the deps to close."""
    grpc_api = importlib.import_module(f"{name}.grpc_api")
    bootstrap = importlib.import_module(f"{name}.bootstrap")
    settings_module = importlib.import_module(f"{name}.settings")
    settings_cls = next(
        v for k, v in vars(settings_module).items() if k.endswith("Settings") and getattr(v, "service", None) == name
    )
    deps = bootstrap.build_grpc(settings_for(settings_cls))
    return grpc_api.servicer(deps), deps


@pytest.fixture
def servers(settings_for: Callable[..., Any]) -> Iterator[dict[str, tuple[RunningServer, grpc.Channel, Any]]]:
    """Each service's real gRPC server (house interceptors, this process's trusted issuers)."""
    started: dict[str, tuple[RunningServer, grpc.Channel, Any]] = {}
    closers = []
    for name in SERVICES:
        servicer, deps = _servicer(name, settings_for)
        closers.append(deps)
        server = start([servicer], port=0)
        server.set_serving(True)
        started[name] = (server, grpc.insecure_channel(f"127.0.0.1:{server.port}"), servicer)
    yield started
    for server, chan, _ in started.values():
        chan.close()
        server.stop(grace=0.5)
    for deps in closers:
        deps.close()


def _rpcs() -> list[tuple[str, str, str]]:
    """(service, full service name, method) of every RPC of every service."""
    return [
        (name, svc.full_name, method.name)
        for name, module in SERVICES.items()
        for svc in module.DESCRIPTOR.services_by_name.values()
        for method in svc.methods
    ]


def _call(chan: grpc.Channel, full_name: str, method: str, metadata: list[tuple[str, str]] | None) -> grpc.StatusCode:
    """Call with an empty request (a valid message of every type); the status the server answered."""
    stub = chan.unary_unary(f"/{full_name}/{method}", request_serializer=lambda b: b, response_deserializer=bytes)
    try:
        stub(b"", metadata=metadata, timeout=5)
    except grpc.RpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


def test_every_rpc_is_declared_in_its_services_allow_list(servers):
    for name, full_name, method in _rpcs():
        callers = servers[name][2].callers
        assert callers.get(method), f"{full_name}/{method} says nobody may call it"
        assert set(callers[method]) <= set(ISSUERS)


def test_every_rpc_refuses_calls_without_a_valid_token(servers):
    stranger = Signer(GATEWAY, Ed25519PrivateKey.generate())
    answers: dict[tuple[str, str], list[grpc.StatusCode]] = {}
    for name, full_name, method in _rpcs():
        chan = servers[name][1]
        answers[(full_name, method)] = [
            _call(chan, full_name, method, None),
            _call(chan, full_name, method, FORGED),
            _call(chan, full_name, method, stranger.metadata(ADMIN)),
            _call(chan, full_name, method, [("x-baifang-identity", load_signer(GATEWAY).mint(ADMIN, ttl=-120))]),
            _call(chan, full_name, method, [("x-baifang-identity", "not-a-token")]),
        ]
    assert len(answers) >= 16
    unauthenticated = [grpc.StatusCode.UNAUTHENTICATED] * 5
    assert {k: v for k, v in answers.items() if v != unauthenticated} == {}


def test_every_rpc_refuses_a_valid_token_from_an_issuer_it_does_not_allow(servers):
    answers = {}
    for name, full_name, method in _rpcs():
        chan, servicer = servers[name][1], servers[name][2]
        for issuer in sorted(set(ISSUERS) - set(servicer.callers[method])):
            answers[(method, issuer)] = _call(chan, full_name, method, load_signer(issuer).metadata(ADMIN))
    # Among them: the gateway may not call planning's check-in RPCs, only checkin may.
    assert {("CheckInVisit", GATEWAY), ("ResolveVisitForCheckin", GATEWAY), ("MarkCheckedIn", GATEWAY)} <= set(answers)
    assert set(answers.values()) == {grpc.StatusCode.PERMISSION_DENIED}


def test_a_service_cannot_claim_to_be_another_service(servers):
    chan = servers["planning"][1]
    as_checkin = load_signer("collection").metadata(Caller.service("checkin"))
    status = _call(chan, "baifang.planning.v1.PlanningService", "ResolveVisitForCheckin", as_checkin)
    assert status == grpc.StatusCode.UNAUTHENTICATED


def test_health_stays_open_for_probes(servers):
    for server, chan, _ in servers.values():
        answer = health_pb2_grpc.HealthStub(chan).Check(health_pb2.HealthCheckRequest(service=""))
        assert answer.status == health_pb2.HealthCheckResponse.SERVING, server.names


def _list_services(chan: grpc.Channel) -> list[str]:
    stub = reflection_pb2_grpc.ServerReflectionStub(chan)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    (answer,) = list(stub.ServerReflectionInfo(iter([request]), timeout=5))
    return [s.name for s in answer.list_services_response.service]


def test_reflection_is_off_unless_enabled(servers, settings_for):
    chan = servers["collection"][1]
    with pytest.raises(grpc.RpcError) as caught:
        _list_services(chan)
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert ServiceSettings().grpc_reflection is False

    servicer, deps = _servicer("collection", settings_for)
    enabled = start([servicer], port=0, reflection_enabled=True)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{enabled.port}") as dev_chan:
            assert "baifang.collection.v1.CollectionService" in _list_services(dev_chan)
    finally:
        enabled.stop(grace=0.5)
        deps.close()


def _listening_hosts(port: int) -> set[str]:
    """The addresses this process listens on at `port` (IPv4-mapped IPv6 as plain IPv4)."""
    return {
        c.laddr.ip.removeprefix("::ffff:")
        for c in psutil.Process().net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port
    }


def test_listeners_bind_loopback_by_default(servers):
    assert ServiceSettings().bind_host == "127.0.0.1"
    for server, _, _ in servers.values():
        assert _listening_hosts(server.port) == {"127.0.0.1"}
    ops = start_ops_server(0, lambda: [])
    try:
        assert _listening_hosts(ops.server_address[1]) == {"127.0.0.1"}
    finally:
        ops.shutdown()
        ops.server_close()
