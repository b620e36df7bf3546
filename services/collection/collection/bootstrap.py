"""The composition root: the only place that creates clients and adapters.

build_worker must not import grpc (workers run under eventlet). The event publisher is built only
for the gRPC process because collection's worker publishes nothing. build_grpc must not import
eventlet or nameko, hence ProcessedEvents (re-exported by baifang_common.worker, which loads both)
is imported inside build_worker.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pymongo import MongoClient

from baifang_common import health, mongo
from baifang_common.mongo import Document
from collection.adapters.customer_owner_store import CustomerOwnerStore
from collection.adapters.sku_store import SkuStore
from collection.domain.model import Sku
from collection.settings import CollectionSettings
from collection.usecases.catalogue import ListSkus, list_skus

if TYPE_CHECKING:
    from baifang_common.publisher import EventPublisher


@dataclass(frozen=True)
class GrpcDeps:
    skus: SkuStore
    owners: CustomerOwnerStore
    publisher: EventPublisher
    readiness: health.Readiness
    mongo: MongoClient[Document]

    def close(self) -> None:
        self.publisher.close()
        self.mongo.close()


@dataclass(frozen=True)
class UseCases:
    """The gRPC process's use cases with their dependencies bound: what the servicer calls."""

    list_skus: Callable[[ListSkus], list[Sku]]


@dataclass(frozen=True)
class WorkerDeps:
    """No inbox: the ownership cache takes only newer assignments, so a redelivery changes nothing."""

    owners: CustomerOwnerStore
    timezone: str


def sku_store(settings: CollectionSettings, client: MongoClient[Document]) -> SkuStore:
    store = SkuStore(mongo.database(settings, client)["skus"])
    store.ensure_indexes()
    return store


def owner_store(settings: CollectionSettings, client: MongoClient[Document]) -> CustomerOwnerStore:
    store = CustomerOwnerStore(mongo.database(settings, client)["customer_owners"])
    store.ensure_indexes()
    return store


def build_grpc(settings: CollectionSettings) -> GrpcDeps:
    from baifang_common.publisher import EventPublisher

    client = mongo.client(settings)
    return GrpcDeps(
        skus=sku_store(settings, client),
        owners=owner_store(settings, client),
        publisher=EventPublisher(settings.amqp_uri),
        readiness=health.Readiness({"mongo": health.mongo_check(client), "amqp": health.amqp_check(settings.amqp_uri)}),
        mongo=client,
    )


def use_cases(deps: GrpcDeps) -> UseCases:
    """Bind each use case to its adapters once."""
    return UseCases(list_skus=functools.partial(list_skus, skus=deps.skus))


def build_worker(settings: CollectionSettings) -> WorkerDeps:
    return WorkerDeps(owners=owner_store(settings, mongo.client(settings)), timezone=settings.timezone)
