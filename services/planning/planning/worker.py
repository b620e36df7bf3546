"""PlanningWorker (nameko): the check-in safety net, customer-card fields from collection, the missed sweep."""

from __future__ import annotations

from typing import Any

from nameko.timer import Timer

from baifang_common.events import CheckinRecorded, TerminalInfoUpdated
from baifang_common.logging import configure_logging
from baifang_common.timeutil import today
from baifang_common.worker import (
    SETTINGS_KEY,
    Deps,
    RequestId,
    batch_event_handler,
    reliable_event_handler,
    run_worker,
)
from planning import bootstrap
from planning.settings import PlanningSettings
from planning.usecases.checkins import apply_checkins_recorded
from planning.usecases.customers import apply_terminal_info
from planning.usecases.missed import mark_missed_visits


class SweepTimer(Timer):  # type: ignore[misc]
    """nameko's Timer with its interval taken from the settings (PLANNING_MISSED_SWEEP_SECONDS)."""

    def setup(self) -> None:
        self.interval = self.container.config[SETTINGS_KEY].missed_sweep_seconds


class PlanningWorker:
    name = "planning"
    deps = Deps(bootstrap.build_worker)
    request_id = RequestId()

    @batch_event_handler("checkin", "checkin.recorded", dedupe=False)
    def on_checkin_recorded(self, bodies: list[dict[str, Any]]) -> None:
        events = [CheckinRecorded.from_body(body) for body in bodies]
        apply_checkins_recorded(events, visits=self.deps.visits, late=self.deps.late)

    @reliable_event_handler("collection", "terminal_info.updated")
    def on_terminal_info_updated(self, body: dict[str, Any]) -> None:
        apply_terminal_info(TerminalInfoUpdated.from_body(body), customers=self.deps.customers)

    @SweepTimer.decorator(interval=60.0, eager=True)
    def sweep_missed_visits(self) -> None:
        s = self.deps.settings
        mark_missed_visits(
            today(s.timezone), visits=self.deps.visits, publisher=self.deps.publisher, limit=s.missed_batch_size
        )


def run() -> None:
    settings = PlanningSettings()
    configure_logging("planning", "worker", settings.log_level)
    run_worker(PlanningWorker, settings)
