"""Integration fixtures: the price & stock world (the real planning servicer as the visit's source,
the collection servicer in front of it, the demo catalogue); its helpers live in price_support.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from baifang.collection.v1 import collection_pb2_grpc
from baifang_common.timeutil import today
from collection.bootstrap import build_grpc
from collection.demo import demo_catalogue
from collection.grpc_api import servicer
from collection.settings import CollectionSettings
from collection.usecases.catalogue import upsert_skus
from planning import bootstrap as planning_bootstrap
from planning.grpc_api import servicer as planning_servicer
from planning.settings import PlanningSettings

from .price_support import World


@pytest.fixture
def world(settings_for: Callable[..., Any], grpc_server: Callable[..., Any]) -> Iterator[World]:
    planning_deps = planning_bootstrap.build_grpc(settings_for(PlanningSettings))
    planning_server, _ = grpc_server([planning_servicer(planning_deps)])
    settings: CollectionSettings = settings_for(CollectionSettings, planning_addr=f"127.0.0.1:{planning_server.port}")
    deps = build_grpc(settings)
    upsert_skus(demo_catalogue(), skus=deps.skus, publisher=deps.publisher)
    _, channel = grpc_server([servicer(deps)])
    stub = collection_pb2_grpc.CollectionServiceStub(channel)
    yield World(planning_deps, deps, stub, today(settings.timezone).isoformat())
    deps.close()
    planning_deps.close()
