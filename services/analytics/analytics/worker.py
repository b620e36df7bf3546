"""AnalyticsWorker (nameko): one reliable handler per consumed event, each one line into a use case."""

from __future__ import annotations

from typing import Any

from analytics import bootstrap
from analytics.settings import AnalyticsSettings
from analytics.usecases import progress
from baifang_common.events import (
    CheckinRecorded,
    TaskCompleted,
    VisitCompleted,
    VisitMissed,
    VisitPlanPublished,
    VisitTemporaryAdded,
)
from baifang_common.logging import configure_logging
from baifang_common.worker import Deps, RequestId, reliable_event_handler, run_worker


class AnalyticsWorker:
    name = "analytics"
    deps = Deps(bootstrap.build_worker)
    request_id = RequestId()

    @reliable_event_handler("planning", "visit_plan.published")
    def on_visit_plan_published(self, body: dict[str, Any]) -> None:
        progress.apply_visit_plan_published(VisitPlanPublished.from_body(body), days=self.deps.days)

    @reliable_event_handler("planning", "visit.temporary_added")
    def on_visit_temporary_added(self, body: dict[str, Any]) -> None:
        progress.apply_visit_temporary_added(VisitTemporaryAdded.from_body(body), days=self.deps.days)

    @reliable_event_handler("checkin", "checkin.recorded")
    def on_checkin_recorded(self, body: dict[str, Any]) -> None:
        progress.apply_checkin_recorded(CheckinRecorded.from_body(body), days=self.deps.days)

    @reliable_event_handler("planning", "task.completed")
    def on_task_completed(self, body: dict[str, Any]) -> None:
        progress.apply_task_completed(TaskCompleted.from_body(body), days=self.deps.days)

    @reliable_event_handler("planning", "visit.completed")
    def on_visit_completed(self, body: dict[str, Any]) -> None:
        progress.apply_visit_completed(VisitCompleted.from_body(body), days=self.deps.days)

    @reliable_event_handler("planning", "visit.missed")
    def on_visit_missed(self, body: dict[str, Any]) -> None:
        progress.apply_visit_missed(VisitMissed.from_body(body), days=self.deps.days)


def run() -> None:
    settings = AnalyticsSettings()
    configure_logging("analytics", "worker", settings.log_level)
    run_worker(AnalyticsWorker, settings)
