"""Analytics test policy: unit tests exercise the pure rules; integration tests use the real
store and RabbitMQ through the baifang_common plugin (own database suffix and vhost per test),
and the worker runs as a real subprocess. Nothing is faked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from analytics.adapters.day_progress_store import DayProgressStore
from analytics.bootstrap import GrpcDeps, build_grpc
from analytics.settings import AnalyticsSettings


@pytest.fixture
def analytics_settings(settings_for: Callable[..., Any]) -> AnalyticsSettings:
    settings: AnalyticsSettings = settings_for(AnalyticsSettings)
    return settings


@pytest.fixture
def grpc_deps(analytics_settings: AnalyticsSettings) -> Iterator[GrpcDeps]:
    deps = build_grpc(analytics_settings)
    yield deps
    deps.close()


@pytest.fixture
def days(grpc_deps: GrpcDeps) -> DayProgressStore:
    return grpc_deps.days
