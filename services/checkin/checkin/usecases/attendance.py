"""record_attendance_facts: the raw attendance facts (docs/domain.md §3.1) kept from checkin.recorded.

Runs in the worker: imports nothing that pulls in grpc.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from baifang_common.events import CheckinRecorded
from baifang_common.timeutil import parse_ts, utc_key
from checkin.adapters.attendance_store import AttendanceStore
from checkin.domain.model import AttendanceFact


def record_attendance_facts(events: Sequence[CheckinRecorded], *, attendance: AttendanceStore) -> None:
    """First and last check-in and the count per manager and local day; replays change nothing
    ($min, $max and a set of check-in ids), so the consumer needs no inbox."""
    attendance.apply_many([_fact(event) for event in events])


def _fact(event: CheckinRecorded) -> AttendanceFact:
    at = parse_ts(event.client_ts, "client_ts", naive_zone=UTC)
    return AttendanceFact(event.manager_id, event.team_id, event.date, event.checkin_id, utc_key(at))
