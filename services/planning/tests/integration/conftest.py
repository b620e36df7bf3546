"""Integration test policy: real store and RabbitMQ through the shared fixtures (own database suffix
and vhost per test); planning's own adapters build the state, nothing is faked. The builders of
customers and visits live in builders.py, fixtures here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pymongo import MongoClient

from baifang_common import mongo as mongo_factory
from planning.bootstrap import Stores, build_stores
from planning.settings import PlanningSettings


@pytest.fixture
def settings(settings_for: Callable[..., Any]) -> PlanningSettings:
    return settings_for(PlanningSettings)


@pytest.fixture
def stores(settings: PlanningSettings) -> Iterator[Stores]:
    mongo: MongoClient[dict[str, Any]] = mongo_factory.client(settings)
    yield build_stores(mongo_factory.database(settings, mongo))
    mongo.close()
