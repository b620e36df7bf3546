"""AnalyticsWorker (nameko): one batched handler per consumed event, each one line into a use case.

Each handler takes up to ANALYTICS_CONSUMER_BATCH_MAX events of its type and writes them with
one bulk write (one update per manager-day). No inbox: every write is a `$set` of a fact that
never changes (adapters/day_progress_store.py), so a redelivered event rewrites what is there;
on NX-27017 the inbox's query and insert cost about as much as the read model's own write.
"""

from __future__ import annotations

from typing import Any

from analytics import bootstrap
from analytics.settings import AnalyticsSettings
from analytics.usecases import progress
from baifang_common.events import (
    CheckinRecorded,
    Event,
    TaskCompleted,
    VisitCompleted,
    VisitMissed,
    VisitPlanPublished,
    VisitTemporaryAdded,
)
from baifang_common.logging import configure_logging
from baifang_common.worker import Deps, RequestId, batch_event_handler, run_worker


class AnalyticsWorker:
    name = "analytics"
    deps = Deps(bootstrap.build_worker)
    request_id = RequestId()

    def _apply(self, event_type: type[Event], bodies: list[dict[str, Any]]) -> None:
        progress.apply_events([event_type.from_body(body) for body in bodies], days=self.deps.days)

    @batch_event_handler("planning", "visit_plan.published", dedupe=False)
    def on_visit_plan_published(self, bodies: list[dict[str, Any]]) -> None:
        self._apply(VisitPlanPublished, bodies)

    @batch_event_handler("planning", "visit.temporary_added", dedupe=False)
    def on_visit_temporary_added(self, bodies: list[dict[str, Any]]) -> None:
        self._apply(VisitTemporaryAdded, bodies)

    @batch_event_handler("checkin", "checkin.recorded", dedupe=False)
    def on_checkin_recorded(self, bodies: list[dict[str, Any]]) -> None:
        self._apply(CheckinRecorded, bodies)

    @batch_event_handler("planning", "task.completed", dedupe=False)
    def on_task_completed(self, bodies: list[dict[str, Any]]) -> None:
        self._apply(TaskCompleted, bodies)

    @batch_event_handler("planning", "visit.completed", dedupe=False)
    def on_visit_completed(self, bodies: list[dict[str, Any]]) -> None:
        self._apply(VisitCompleted, bodies)

    @batch_event_handler("planning", "visit.missed", dedupe=False)
    def on_visit_missed(self, bodies: list[dict[str, Any]]) -> None:
        self._apply(VisitMissed, bodies)


def run() -> None:
    settings = AnalyticsSettings()
    configure_logging("analytics", "worker", settings.log_level)
    run_worker(AnalyticsWorker, settings)
