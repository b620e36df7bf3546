"""The composition root: the only place that creates clients and adapters.

build_worker must not import grpc (workers run under eventlet) and the gRPC process must not
import eventlet/nameko, so each builder imports its process-specific modules itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from baifang_common import health
from baifang_common import mongo as mongo_factory
from baifang_common import redis as redis_factory
from baifang_common.idempotency import OpStore
from checkin.adapters.attendance_store import AttendanceStore
from checkin.adapters.checkin_store import CheckinStore
from checkin.adapters.last_fixes import LastFixes
from checkin.domain.model import Thresholds
from checkin.settings import CheckinSettings

if TYPE_CHECKING:
    from baifang_common.publisher import EventPublisher
    from baifang_common.inbox import ProcessedEvents
    from checkin.adapters.planning_client import PlanningClient


@dataclass(frozen=True)
class GrpcDeps:
    settings: CheckinSettings
    checkins: CheckinStore
    ops: OpStore
    last_fixes: LastFixes
    planning: PlanningClient
    publisher: EventPublisher
    thresholds: Thresholds
    readiness: health.Readiness
    close: Callable[[], None]


@dataclass(frozen=True)
class WorkerDeps:
    settings: CheckinSettings
    attendance: AttendanceStore
    inbox: ProcessedEvents


def thresholds_from(settings: CheckinSettings) -> Thresholds:
    return Thresholds(
        geofence_m=settings.geofence_m,
        max_accuracy_m=settings.max_accuracy_m,
        max_fix_age_s=settings.max_fix_age_s,
        max_speed_kmh=settings.max_speed_kmh,
    )


def build_grpc(settings: CheckinSettings) -> GrpcDeps:
    from baifang.planning.v1 import planning_pb2_grpc
    from baifang_common import grpc_client
    from baifang_common.publisher import EventPublisher
    from checkin.adapters.planning_client import IDEMPOTENT_METHODS, SERVICE, PlanningClient

    mongo = mongo_factory.client(settings)
    db = mongo_factory.database(settings, mongo)
    redis = redis_factory.client(settings)
    checkins = CheckinStore(db["checkins"])
    ops = OpStore(db["ops"])
    checkins.ensure_indexes()
    planning_channel = grpc_client.channel(
        settings.planning_addr, grpc_client.retry_config(SERVICE, IDEMPOTENT_METHODS), default_timeout=2.0
    )
    planning = PlanningClient(
        planning_pb2_grpc.PlanningServiceStub(planning_channel),
        resolve_timeout=settings.planning_resolve_timeout_s,
        mark_timeout=settings.planning_mark_timeout_s,
    )
    publisher = EventPublisher(settings.amqp_uri)
    readiness = health.Readiness(
        {
            "mongo": health.mongo_check(mongo),
            "redis": health.redis_check(redis),
            "amqp": health.amqp_check(settings.amqp_uri),
        }
    )

    def close() -> None:
        publisher.close()
        planning_channel.close()
        redis.close()
        mongo.close()

    return GrpcDeps(
        settings=settings,
        checkins=checkins,
        ops=ops,
        last_fixes=LastFixes(redis, redis_factory.key(settings, "last_fix")),
        planning=planning,
        publisher=publisher,
        thresholds=thresholds_from(settings),
        readiness=readiness,
        close=close,
    )


def build_worker(settings: CheckinSettings) -> WorkerDeps:
    from baifang_common.inbox import ProcessedEvents

    mongo = mongo_factory.client(settings)
    db = mongo_factory.database(settings, mongo)
    attendance = AttendanceStore(db["attendance_days"])
    attendance.ensure_indexes()
    inbox = ProcessedEvents(db["processed_events"])
    return WorkerDeps(settings=settings, attendance=attendance, inbox=inbox)
