"""Integration policy: real RabbitMQ, Redis and store through the shared fixtures, and the REAL
planning service (its own servicer and bootstrap, in-process on a free port) as the peer.
Planning's data is set up through planning's own stores; nothing of ours is faked. Helpers live
in checkin_support.py and ingest_support.py, fixtures here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from baifang.checkin.v1 import checkin_pb2_grpc
from checkin import bootstrap
from checkin.grpc_api import servicer as checkin_servicer
from checkin.settings import CheckinSettings
from planning import bootstrap as planning_bootstrap
from planning.grpc_api import servicer as planning_servicer
from planning.settings import PlanningSettings

from .checkin_support import World, now_local


@pytest.fixture
def world(settings_for: Callable[..., Any], grpc_server: Callable[..., Any]) -> Iterator[World]:
    planning_deps = planning_bootstrap.build_grpc(settings_for(PlanningSettings))
    planning_server, _ = grpc_server([planning_servicer(planning_deps)])
    settings = settings_for(CheckinSettings, planning_addr=f"127.0.0.1:{planning_server.port}")
    deps = bootstrap.build_grpc(settings)
    yield World(planning_deps, planning_server.port, deps, settings, now_local().date().isoformat())
    deps.close()
    planning_deps.close()


@pytest.fixture
def checkin_stub(world: World, grpc_server: Callable[..., Any]) -> checkin_pb2_grpc.CheckinServiceStub:
    _, channel = grpc_server([checkin_servicer(world.checkin)])
    return checkin_pb2_grpc.CheckinServiceStub(channel)
