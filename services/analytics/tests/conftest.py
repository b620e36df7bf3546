"""Analytics test policy: unit tests exercise the pure rules; integration tests use the real
store and RabbitMQ through the baifang_common plugin (own database suffix and vhost per test),
and the worker runs as a real subprocess. Nothing is faked.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from analytics.adapters.day_progress_store import DayProgressStore
from analytics.bootstrap import GrpcDeps, build_grpc
from analytics.settings import AnalyticsSettings
from analytics.usecases import business_facts
from analytics.usecases.customer_value import ValueBook
from baifang_common.events import Event


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


@pytest.fixture
def apply_shuffled(grpc_deps: GrpcDeps) -> Callable[..., None]:
    """Business facts applied as a redelivering broker would: every event once in a shuffled order, then a
    replay of a random half, in random batches of 1 to `max_batch`; with `values`, each batch
    re-judges the value class of the customers it ordered for, as the worker's does."""

    def apply(events: Sequence[Event], seed: int, max_batch: int = 5, values: ValueBook | None = None) -> None:
        rng = random.Random(seed)
        stream = [*events, *rng.sample(list(events), len(events) // 2)]
        rng.shuffle(stream)
        while stream:
            size = rng.randint(1, max_batch)
            batch, stream = stream[:size], stream[size:]
            business_facts.apply_events(batch, facts=grpc_deps.facts, views=grpc_deps.order_views, values=values)

    return apply
