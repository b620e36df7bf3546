"""record_attendance_fact: the raw attendance facts (DOMAIN §3.1) kept from checkin.recorded.

Runs in the worker: imports nothing that pulls in grpc.
"""

from __future__ import annotations

from datetime import datetime

from baifang_common.events import CheckinRecorded
from checkin.adapters.attendance_store import AttendanceStore
from checkin.domain.model import AttendanceFact
from checkin.domain.rules import utc_instant


def record_attendance_fact(event: CheckinRecorded, *, attendance: AttendanceStore) -> None:
    """First and last check-in and the count per manager and local day; replays change nothing."""
    at = datetime.fromisoformat(event.client_ts.replace("Z", "+00:00"))
    attendance.apply(
        AttendanceFact(
            manager_id=event.manager_id,
            team_id=event.team_id,
            date=event.date,
            checkin_id=event.checkin_id,
            at=utc_instant(at),
        )
    )
