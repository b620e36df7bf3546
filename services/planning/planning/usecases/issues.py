"""Customer requests and complaints (P-003-13, P-002-12, P-003-15, P-004-16): tracked to resolution, reply due."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from baifang_common.publisher import EventPublisher
from baifang_common.timeutil import now_utc
from planning.adapters.customer_store import CustomerStore
from planning.adapters.issue_store import IssueStore
from planning.domain import issues, rules
from planning.domain.assistant import MAX_BODY, text
from planning.domain.errors import CustomerNotFound, IssueNotFound
from planning.domain.issues import Change, Issue, IssueStatus
from planning.usecases import events
from planning.usecases.events import event_id

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class OpenIssue:
    caller: Caller
    op_id: str
    customer_id: str
    kind: str
    text: str


@dataclass(frozen=True)
class MoveIssue:
    caller: Caller
    issue_id: str
    status: str
    note: str = ""


@dataclass(frozen=True)
class IssueView:
    issue: Issue
    overdue: bool


def _at(now: Callable[[], datetime]) -> datetime:
    at = now()
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def open_issue(
    cmd: OpenIssue,
    *,
    issues_store: IssueStore,
    customers: CustomerStore,
    scope: rules.ServingScope,
    timezone: str,
    publisher: EventPublisher,
    now: Callable[[], datetime] = now_utc,
) -> Issue:
    """Record a request or complaint for a customer the caller serves; the reply is due in 2 working days."""
    if not cmd.op_id:
        raise InvalidArgument("op_id is required", field="op_id")
    customer = customers.get(cmd.customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id=cmd.customer_id)
    rules.ensure_may_serve(cmd.caller, customer, scope)
    at = _at(now)
    issue = Issue(
        id="is-" + event_id("issue", cmd.caller.id, cmd.op_id),
        kind=issues.kind_of(cmd.kind),
        customer_id=customer.id,
        manager_id=customer.manager_id,
        team_id=customer.team_id,
        text=text(cmd.text, "text", MAX_BODY),
        status=IssueStatus.OPEN,
        opened_at=at,
        reply_due_at=issues.add_working_days(at, issues.REPLY_WORKING_DAYS, timezone),
        history=(Change(IssueStatus.OPEN, at, cmd.caller.id),),
    )
    issues_store.insert(issue)
    kept = issues_store.get(issue.id) or issue
    publisher.publish(events.customer_issue_changed(kept))
    return kept


def list_issues(
    caller: Caller, status: str, *, issues_store: IssueStore, now: Callable[[], datetime] = now_utc
) -> list[IssueView]:
    """A manager's own customers' items, a supervisor's team's, an admin's all; due first, overdue flagged."""
    if caller.is_admin:
        found = issues_store.scoped("team_id", None)
    elif caller.is_supervisor:
        found = issues_store.scoped("team_id", caller.team_id or "-")
    else:
        found = issues_store.scoped("manager_id", caller.id)
    wanted = issues.status_of(status) if status else None
    at = now()
    return [IssueView(i, i.overdue(at)) for i in found if wanted is None or i.status == wanted]


def move_issue(
    cmd: MoveIssue, *, issues_store: IssueStore, publisher: EventPublisher, now: Callable[[], datetime] = now_utc
) -> IssueView:
    """open → in_progress → resolved, each change kept in the history with author and time."""
    status = issues.status_of(cmd.status)
    for _ in range(MAX_ATTEMPTS):
        issue = _visible(cmd.caller, issues_store.get(cmd.issue_id), cmd.issue_id)
        moved, changed = issues.move(issue, status, by=cmd.caller.id, at=_at(now), note=cmd.note)
        if not changed or issues_store.save_if_version(
            dataclasses.replace(moved, version=issue.version), issue.version
        ):
            kept = issues_store.get(issue.id) or moved
            if changed:
                publisher.publish(events.customer_issue_changed(kept))
            return IssueView(kept, kept.overdue(now()))
    raise RuntimeError(f"issue {cmd.issue_id} kept changing")


def _visible(caller: Caller, issue: Issue | None, issue_id: str) -> Issue:
    if issue is not None and (
        caller.is_admin
        or caller.id == issue.manager_id
        or (caller.is_supervisor and bool(caller.team_id) and caller.team_id == issue.team_id)
    ):
        return issue
    raise IssueNotFound(issue_id=issue_id)
