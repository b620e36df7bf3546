"""The composition root: the only place that creates clients and adapters.

build_worker must not import grpc (workers run under eventlet) and the gRPC process must not
import eventlet/nameko, so each builder imports its process-specific modules itself.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import time
from typing import TYPE_CHECKING

import redis as redis_lib
from pymongo import MongoClient
from pymongo.database import Database

from baifang_common import health
from baifang_common import mongo as mongo_factory
from baifang_common import redis as redis_factory
from baifang_common.context import Caller
from baifang_common.idempotency import OpStore
from baifang_common.mongo import Document
from checkin.adapters.attendance_store import AttendanceStore
from checkin.adapters.bucket_store import BucketStore
from checkin.adapters.checkin_store import CheckinStore
from checkin.adapters.day_reader import DayReader
from checkin.adapters.gap_store import TrackingGapStore
from checkin.adapters.last_fixes import LastFixes
from checkin.adapters.live_positions import LivePositions
from checkin.domain.model import GapRule, IngestLimits, PreviousFix, Thresholds
from checkin.domain.track_view import ViewRules
from checkin.settings import CheckinSettings

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    import grpc

    from baifang_common.inbox import ProcessedEvents
    from baifang_common.publisher import EventPublisher
    from checkin.adapters.ingest_queues import IngestQueues
    from checkin.adapters.planning_client import PlanningClient
    from checkin.domain.model import BatchResult, CheckinCommand, ScanBatchCommand, TrackBatchCommand
    from checkin.domain.sync import OfflineOp, OpOutcome
    from checkin.usecases.checkins import CheckinAnswer
    from checkin.usecases.views import ManagerDay, MemberPosition, TrackDay, TrackQuery


@dataclass(frozen=True)
class GrpcDeps:
    settings: CheckinSettings
    checkins: CheckinStore
    ops: OpStore
    last_fixes: LastFixes
    planning: PlanningClient
    publisher: EventPublisher
    thresholds: Thresholds
    queues: IngestQueues
    limits: IngestLimits
    sync_ops: OpStore
    readiness: health.Readiness
    mongo: MongoClient[Document]
    redis: redis_lib.Redis
    planning_channel: grpc.Channel
    # Supervisor views.
    day_reader: DayReader
    live_positions: LivePositions
    view_rules: ViewRules

    def close(self) -> None:
        self.queues.close()
        self.publisher.close()
        self.planning_channel.close()
        self.redis.close()
        self.mongo.close()


@dataclass(frozen=True)
class UseCases:
    """The gRPC process's use cases with their dependencies bound: what the servicer calls."""

    record_checkin: Callable[[CheckinCommand], CheckinAnswer]
    accept_track_batch: Callable[[TrackBatchCommand], BatchResult]
    accept_scan_batch: Callable[[ScanBatchCommand], BatchResult]
    apply_offline_batch: Callable[[Sequence[OfflineOp], Caller], list[OpOutcome]]
    get_last_fix: Callable[[Caller], PreviousFix | None]
    # Supervisor views (usecases/views.py).
    get_team_positions: Callable[[Caller, str], tuple[str, list[MemberPosition]]]
    get_track_day: Callable[[TrackQuery], TrackDay]
    get_team_day: Callable[[Caller, str, str], tuple[str, list[ManagerDay]]]


@dataclass(frozen=True)
class WorkerDeps:
    settings: CheckinSettings
    attendance: AttendanceStore
    track_buckets: BucketStore
    scan_buckets: BucketStore
    gaps: TrackingGapStore
    last_fixes: LastFixes
    gap_rule: GapRule
    thresholds: Thresholds
    inbox: ProcessedEvents
    live_positions: LivePositions | None = None


def thresholds_from(settings: CheckinSettings) -> Thresholds:
    return Thresholds(
        geofence_m=settings.geofence_m,
        max_accuracy_m=settings.max_accuracy_m,
        max_fix_age_s=settings.max_fix_age_s,
        max_speed_kmh=settings.max_speed_kmh,
    )


def limits_from(settings: CheckinSettings) -> IngestLimits:
    return IngestLimits(
        max_batch_points=settings.max_batch_points,
        max_batch_scans=settings.max_batch_scans,
        max_accuracy_m=settings.track_max_accuracy_m,
        max_speed_mps=settings.track_max_speed_mps,
        max_future_s=settings.max_future_s,
        max_age_s=settings.max_age_s,
        max_qty=settings.scan_max_qty,
        max_unit_price=settings.scan_max_unit_price,
    )


def gap_rule_from(settings: CheckinSettings) -> GapRule:
    return GapRule(
        gap_minutes=settings.track_gap_minutes,
        work_start=time.fromisoformat(settings.work_day_start),
        work_end=time.fromisoformat(settings.work_day_end),
        timezone=settings.timezone,
    )


def last_fixes_for(settings: CheckinSettings, client: redis_lib.Redis) -> LastFixes:
    return LastFixes(
        client,
        redis_factory.key(settings, "last_fix"),
        positions_prefix=redis_factory.key(settings, "positions"),
        fix_time_prefix=redis_factory.key(settings, "fix_time"),
        fix_detail_prefix=redis_factory.key(settings, "fix_detail"),
    )


def build_grpc(settings: CheckinSettings) -> GrpcDeps:
    from baifang_common.publisher import EventPublisher

    mongo = mongo_factory.client(settings)
    db = mongo_factory.database(settings, mongo)
    redis = redis_factory.client(settings)
    checkins = CheckinStore(db["checkins"])
    checkins.ensure_indexes()
    planning, planning_channel = planning_client_for(settings)
    readiness = health.Readiness(
        {
            "mongo": health.mongo_check(mongo),
            "redis": health.redis_check(redis),
            "amqp": health.amqp_check(settings.amqp_uri),
        }
    )
    return GrpcDeps(
        settings=settings,
        checkins=checkins,
        ops=OpStore(db["ops"]),
        last_fixes=last_fixes_for(settings, redis),
        planning=planning,
        publisher=EventPublisher(settings.amqp_uri),
        thresholds=thresholds_from(settings),
        queues=ingest_queues_for(settings),
        limits=limits_from(settings),
        sync_ops=OpStore(db["sync_ops"]),
        readiness=readiness,
        mongo=mongo,
        redis=redis,
        planning_channel=planning_channel,
        day_reader=day_reader_for(db),
        live_positions=LivePositions(redis, redis_factory.key(settings)),
        view_rules=view_rules_from(settings),
    )


def planning_client_for(settings: CheckinSettings) -> tuple[PlanningClient, grpc.Channel]:
    """The client of planning and its channel; the channel speaks as checkin when no user's call is served."""
    from baifang.planning.v1 import planning_pb2_grpc
    from baifang_common import grpc_client
    from checkin.adapters.planning_client import IDEMPOTENT_METHODS, SERVICE, Deadlines, PlanningClient

    channel = grpc_client.channel(
        settings.planning_addr,
        grpc_client.retry_config(SERVICE, IDEMPOTENT_METHODS),
        default_timeout=2.0,
        identity=Caller.service(settings.service),
    )
    deadlines = Deadlines(
        resolve=settings.planning_resolve_timeout_s,
        mark=settings.planning_mark_timeout_s,
        work=settings.planning_work_timeout_s,
    )
    return PlanningClient(planning_pb2_grpc.PlanningServiceStub(channel), deadlines), channel


def ingest_queues_for(settings: CheckinSettings) -> IngestQueues:
    """The worker queues, declared before the first batch is accepted (a batch routed to no queue is lost)."""
    from checkin.adapters.ingest_queues import IngestQueues
    from checkin.domain.errors import IngestBackpressure

    queues = IngestQueues(
        settings.amqp_uri,
        max_depth=settings.max_queue_depth,
        retry_after_s=settings.retry_after_s,
        cache_s=settings.queue_depth_cache_s,
    )
    try:
        queues.declare()
    except IngestBackpressure:
        logger.warning("worker queues not declared at start-up (broker down); declared on first use")
    return queues


def use_cases(deps: GrpcDeps) -> UseCases:
    """Bind each use case to its adapters once; the offline batch gets the bound check-in."""
    from checkin.usecases.checkins import record_checkin
    from checkin.usecases.fixes import get_last_fix
    from checkin.usecases.scans import accept_scan_batch
    from checkin.usecases.sync import apply_offline_batch, offline_work
    from checkin.usecases.tracks import accept_track_batch
    from checkin.usecases.views import get_team_day, get_team_positions, get_track_day

    record = functools.partial(
        record_checkin,
        checkins=deps.checkins,
        planning=deps.planning,
        publisher=deps.publisher,
        ops=deps.ops,
        last_fixes=deps.last_fixes,
        thresholds=deps.thresholds,
        timezone=deps.settings.timezone,
    )
    return UseCases(
        record_checkin=record,
        accept_track_batch=functools.partial(
            accept_track_batch, publisher=deps.publisher, queues=deps.queues, limits=deps.limits
        ),
        accept_scan_batch=functools.partial(
            accept_scan_batch, publisher=deps.publisher, queues=deps.queues, limits=deps.limits
        ),
        apply_offline_batch=functools.partial(
            apply_offline_batch,
            applied=deps.sync_ops,
            work=offline_work(record, deps.planning),
            max_ops=deps.settings.max_sync_ops,
        ),
        get_last_fix=functools.partial(get_last_fix, last_fixes=deps.last_fixes),
        get_team_positions=functools.partial(get_team_positions, live=deps.live_positions, rules=deps.view_rules),
        get_track_day=functools.partial(get_track_day, reader=deps.day_reader, rules=deps.view_rules),
        get_team_day=functools.partial(
            get_team_day, reader=deps.day_reader, live=deps.live_positions, rules=deps.view_rules
        ),
    )


def build_worker(settings: CheckinSettings) -> WorkerDeps:
    from baifang_common.inbox import ProcessedEvents

    mongo = mongo_factory.client(settings)
    db = mongo_factory.database(settings, mongo)
    attendance = AttendanceStore(db["attendance_days"])
    track_buckets = BucketStore.tracks(db["track_buckets"])
    scan_buckets = BucketStore.scans(db["scan_buckets"])
    gaps = TrackingGapStore(db["tracking_gaps"])
    for store in (attendance, track_buckets, scan_buckets, gaps):
        store.ensure_indexes()
    inbox = ProcessedEvents(db["processed_events"])
    return WorkerDeps(
        settings=settings,
        attendance=attendance,
        track_buckets=track_buckets,
        scan_buckets=scan_buckets,
        gaps=gaps,
        last_fixes=last_fixes_for(settings, redis_factory.client(settings)),
        gap_rule=gap_rule_from(settings),
        thresholds=thresholds_from(settings),
        inbox=inbox,
        live_positions=LivePositions(redis_factory.client(settings), redis_factory.key(settings)),
    )


def view_rules_from(settings: CheckinSettings) -> ViewRules:
    return ViewRules(
        max_speed_mps=settings.max_speed_kmh / 3.6,
        stop_min_s=settings.stop_min_s,
        stop_radius_m=settings.stop_radius_m,
        stale_after_s=settings.track_gap_minutes * 60,
        work_start=time.fromisoformat(settings.work_day_start),
        work_end=time.fromisoformat(settings.work_day_end),
        timezone=settings.timezone,
    )


def day_reader_for(db: Database[Document]) -> DayReader:
    reader = DayReader(db["checkins"], db["tracking_gaps"], BucketStore.tracks(db["track_buckets"]))
    reader.ensure_indexes()
    return reader
