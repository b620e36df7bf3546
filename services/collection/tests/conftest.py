"""Collection test policy: unit tests exercise the pure catalogue and ownership rules;
integration tests use the real store and RabbitMQ through the baifang_common plugin (own
database suffix and vhost per test), and the worker runs as a real subprocess. Nothing is faked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from collection.bootstrap import GrpcDeps, build_grpc
from collection.settings import CollectionSettings


@pytest.fixture
def collection_settings(settings_for: Callable[..., Any]) -> CollectionSettings:
    settings: CollectionSettings = settings_for(CollectionSettings)
    return settings


@pytest.fixture
def grpc_deps(collection_settings: CollectionSettings) -> Iterator[GrpcDeps]:
    deps = build_grpc(collection_settings)
    yield deps
    deps.close()
