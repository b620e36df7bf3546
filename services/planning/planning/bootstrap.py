"""The composition root: the only place that creates clients and adapters.

build_worker must not import grpc_api or any gRPC client module (workers run under eventlet).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pymongo import MongoClient
from pymongo.database import Database

from baifang_common import health
from baifang_common import mongo as mongo_factory
from baifang_common.idempotency import OpStore
from baifang_common.mongo import Document
from baifang_common.publisher import EventPublisher
from planning.adapters.customer_store import CustomerStore
from planning.adapters.task_library_store import TaskLibraryStore
from planning.adapters.visit_store import VisitStore
from planning.settings import PlanningSettings

if TYPE_CHECKING:
    from baifang_common.inbox import ProcessedEvents


@dataclass(frozen=True)
class Stores:
    customers: CustomerStore
    visits: VisitStore
    library: TaskLibraryStore
    ops: OpStore


def build_stores(db: Database[Document]) -> Stores:
    """All of planning's stores over one database, with their indexes in place."""
    stores = Stores(
        customers=CustomerStore(db["customers"]),
        visits=VisitStore(db["visits"]),
        library=TaskLibraryStore(db["task_library"]),
        ops=OpStore(db["ops"]),
    )
    stores.customers.ensure_indexes()
    stores.visits.ensure_indexes()
    stores.library.ensure_indexes()
    return stores


@dataclass(frozen=True)
class GrpcDeps:
    settings: PlanningSettings
    mongo: MongoClient[Document]
    customers: CustomerStore
    visits: VisitStore
    library: TaskLibraryStore
    ops: OpStore
    publisher: EventPublisher
    readiness: health.Readiness

    def close(self) -> None:
        self.publisher.close()
        self.mongo.close()


@dataclass(frozen=True)
class WorkerDeps:
    settings: PlanningSettings
    visits: VisitStore
    publisher: EventPublisher
    inbox: ProcessedEvents


def build_grpc(settings: PlanningSettings) -> GrpcDeps:
    mongo = mongo_factory.client(settings)
    stores = build_stores(mongo_factory.database(settings, mongo))
    readiness = health.Readiness({"mongo": health.mongo_check(mongo), "amqp": health.amqp_check(settings.amqp_uri)})
    return GrpcDeps(
        settings=settings,
        mongo=mongo,
        customers=stores.customers,
        visits=stores.visits,
        library=stores.library,
        ops=stores.ops,
        publisher=EventPublisher(settings.amqp_uri),
        readiness=readiness,
    )


def build_worker(settings: PlanningSettings) -> WorkerDeps:
    # Imported here: baifang_common.worker pulls in eventlet and nameko, which the gRPC process must never load.
    from baifang_common.inbox import ProcessedEvents

    mongo = mongo_factory.client(settings)
    db = mongo_factory.database(settings, mongo)
    stores = build_stores(db)
    inbox_collection = db["processed_events"]
    return WorkerDeps(
        settings=settings,
        visits=stores.visits,
        publisher=EventPublisher(settings.amqp_uri),
        inbox=ProcessedEvents(inbox_collection),
    )
