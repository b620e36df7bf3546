"""CheckinWorker (nameko): consumed events, each handler one line into a use case."""

from __future__ import annotations

from typing import Any

from baifang_common.events import CheckinRecorded
from baifang_common.logging import configure_logging
from baifang_common.worker import Deps, RequestId, reliable_event_handler, run_worker
from checkin import bootstrap
from checkin.settings import CheckinSettings
from checkin.usecases.attendance import record_attendance_fact


class CheckinWorker:
    name = "checkin"
    deps = Deps(bootstrap.build_worker)
    request_id = RequestId()

    @reliable_event_handler("checkin", "checkin.recorded")
    def on_checkin_recorded(self, body: dict[str, Any]) -> None:
        record_attendance_fact(CheckinRecorded.from_body(body), attendance=self.deps.attendance)


def run() -> None:
    settings = CheckinSettings()
    configure_logging("checkin", "worker", settings.log_level)
    run_worker(CheckinWorker, settings)
