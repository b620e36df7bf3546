"""Customer requests and complaints as tracked items (P-003-13, P-002-12, P-003-15, P-004-16). Pure."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from planning.domain.errors import InvalidText, InvalidTransition

# A written reply is due within two working days (Monday–Friday, company time; public holidays not modelled).
REPLY_WORKING_DAYS = 2


class IssueKind(StrEnum):
    REQUEST = "request"
    COMPLAINT = "complaint"


class IssueStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


NEXT: dict[IssueStatus, frozenset[IssueStatus]] = {
    IssueStatus.OPEN: frozenset({IssueStatus.IN_PROGRESS, IssueStatus.RESOLVED}),
    IssueStatus.IN_PROGRESS: frozenset({IssueStatus.RESOLVED}),
    IssueStatus.RESOLVED: frozenset(),
}


@dataclass(frozen=True)
class Change:
    status: IssueStatus
    at: datetime
    by: str
    note: str = ""


@dataclass(frozen=True)
class Issue:
    id: str
    kind: IssueKind
    customer_id: str
    manager_id: str
    team_id: str
    text: str
    status: IssueStatus
    opened_at: datetime
    reply_due_at: datetime
    history: tuple[Change, ...] = ()
    version: int = 0

    def overdue(self, now: datetime) -> bool:
        return self.status != IssueStatus.RESOLVED and now > self.reply_due_at


def add_working_days(start: datetime, days: int, timezone: str) -> datetime:
    """The same local time `days` working days later (weekends skipped)."""
    local = start.astimezone(ZoneInfo(timezone))
    while days > 0:
        local += timedelta(days=1)
        if local.weekday() < 5:
            days -= 1
    return local


def kind_of(value: str) -> IssueKind:
    try:
        return IssueKind(value)
    except ValueError as exc:
        raise InvalidText("kind must be request or complaint", field="kind") from exc


def status_of(value: str) -> IssueStatus:
    try:
        return IssueStatus(value)
    except ValueError as exc:
        raise InvalidText("status must be open, in_progress or resolved", field="status") from exc


def move(issue: Issue, status: IssueStatus, *, by: str, at: datetime, note: str) -> tuple[Issue, bool]:
    """The next status with its history entry; the same status again changes nothing; anything else is 409."""
    if status == issue.status:
        return issue, False
    if status not in NEXT[issue.status]:
        raise InvalidTransition(issue_id=issue.id, status=issue.status.value, to=status.value)
    change = Change(status, at, by, note.strip())
    return dataclasses.replace(issue, status=status, history=(*issue.history, change)), True
