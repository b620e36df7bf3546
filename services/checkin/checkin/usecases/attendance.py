"""record_attendance_fact: the raw attendance facts (docs/domain.md §3.1) kept from checkin.recorded.

Runs in the worker: imports nothing that pulls in grpc.
"""

from __future__ import annotations

from datetime import UTC

from baifang_common.events import CheckinRecorded
from baifang_common.timeutil import parse_ts, utc_key
from checkin.adapters.attendance_store import AttendanceStore
from checkin.domain.model import AttendanceFact


def record_attendance_fact(event: CheckinRecorded, *, attendance: AttendanceStore) -> None:
    """First and last check-in and the count per manager and local day; replays change nothing."""
    at = parse_ts(event.client_ts, "client_ts", naive_zone=UTC)
    attendance.apply(
        AttendanceFact(
            manager_id=event.manager_id,
            team_id=event.team_id,
            date=event.date,
            checkin_id=event.checkin_id,
            at=utc_key(at),
        )
    )
