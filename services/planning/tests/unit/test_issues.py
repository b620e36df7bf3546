"""Requests and complaints (P-003-13, P-003-15): reply due in two working days, the status path, overdue."""

from datetime import UTC, datetime

import pytest

from planning.domain import issues
from planning.domain.errors import InvalidTransition
from planning.domain.issues import Issue, IssueKind, IssueStatus

FRIDAY_10H = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def test_the_reply_is_due_two_working_days_later_skipping_the_weekend():
    due = issues.add_working_days(FRIDAY_10H, 2, "Asia/Shanghai")
    assert (due.date().isoformat(), due.hour) == ("2026-12-01", 10)  # Tuesday


def test_status_moves_forward_only_with_history_and_overdue_until_resolved():
    due = issues.add_working_days(FRIDAY_10H, 2, "Asia/Shanghai")
    issue = Issue("i1", IssueKind.COMPLAINT, "c1", "m001", "t01", "断货", IssueStatus.OPEN, FRIDAY_10H, due)
    later = datetime(2026, 12, 2, tzinfo=UTC)
    assert issue.overdue(later) and not issue.overdue(FRIDAY_10H)
    working, changed = issues.move(issue, IssueStatus.IN_PROGRESS, by="m001", at=later, note="已联系物流")
    assert changed and working.history[-1].note == "已联系物流"
    assert issues.move(working, IssueStatus.IN_PROGRESS, by="m001", at=later, note="") == (working, False)
    with pytest.raises(InvalidTransition):
        issues.move(working, IssueStatus.OPEN, by="m001", at=later, note="")
    resolved, _ = issues.move(working, IssueStatus.RESOLVED, by="s01", at=later, note="已补货")
    assert not resolved.overdue(later)
    with pytest.raises(InvalidTransition):
        issues.move(resolved, IssueStatus.IN_PROGRESS, by="m001", at=later, note="")
