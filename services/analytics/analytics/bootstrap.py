"""The composition root: the only place that creates clients and adapters.

build_worker must not import grpc (workers run under eventlet); build_grpc must not import
eventlet or nameko — hence ProcessedEvents is imported inside build_worker.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from pymongo import MongoClient

from analytics.adapters.day_progress_store import DayProgressStore
from analytics.adapters.plan_facts_reader import PlanFactsReader
from analytics.domain.attendance import VisitTally
from analytics.domain.model import TeamProgress
from analytics.settings import AnalyticsSettings
from analytics.usecases.attendance import TeamAttendanceQuery, get_team_attendance
from analytics.usecases.team_progress import TeamProgressQuery, get_team_progress
from baifang_common import health, mongo
from baifang_common.mongo import Document


@dataclass(frozen=True)
class GrpcDeps:
    days: DayProgressStore
    timezone: str
    readiness: health.Readiness
    mongo: MongoClient[Document]

    def close(self) -> None:
        self.mongo.close()


@dataclass(frozen=True)
class UseCases:
    """The gRPC process's use cases with their dependencies bound: what the servicer calls."""

    get_team_progress: Callable[[TeamProgressQuery], TeamProgress]
    get_team_attendance: Callable[[TeamAttendanceQuery], tuple[str, str, list[VisitTally]]]


@dataclass(frozen=True)
class WorkerDeps:
    """No inbox: the read model's writes are idempotent facts (worker.py)."""

    days: DayProgressStore


def day_progress_store(settings: AnalyticsSettings, client: MongoClient[Document]) -> DayProgressStore:
    store = DayProgressStore(mongo.database(settings, client)["day_progress"])
    store.ensure_indexes()
    return store


def build_grpc(settings: AnalyticsSettings) -> GrpcDeps:
    """The gRPC process only reads the store, so readiness is the store alone."""
    client = mongo.client(settings)
    return GrpcDeps(
        days=day_progress_store(settings, client),
        timezone=settings.timezone,
        readiness=health.Readiness({"mongo": health.mongo_check(client)}),
        mongo=client,
    )


def use_cases(deps: GrpcDeps) -> UseCases:
    """Bind each use case to its adapters once."""
    return UseCases(
        get_team_progress=functools.partial(get_team_progress, days=deps.days, timezone=deps.timezone),
        get_team_attendance=functools.partial(
            get_team_attendance, plans=PlanFactsReader(deps.days.collection), timezone=deps.timezone
        ),
    )


def build_worker(settings: AnalyticsSettings) -> WorkerDeps:
    return WorkerDeps(days=day_progress_store(settings, mongo.client(settings)))
