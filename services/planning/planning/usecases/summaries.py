"""Daily work summary and next-day plan (P-002-4): written by the manager, read by their supervisor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from baifang_common.context import Caller
from baifang_common.publisher import EventPublisher
from baifang_common.timeutil import now_utc, parse_date
from planning.adapters.customer_store import CustomerStore
from planning.adapters.summary_store import WorkSummaryStore
from planning.domain import rules, summaries
from planning.domain.errors import ManagersOnly, SummaryNotFound
from planning.domain.summaries import WorkSummary
from planning.usecases import events

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class SaveSummary:
    caller: Caller
    date: str
    summary: str
    next_day_plan: str = ""


def save_summary(
    cmd: SaveSummary,
    *,
    summaries_store: WorkSummaryStore,
    today: Callable[[], date],
    publisher: EventPublisher,
    now: Callable[[], datetime] = now_utc,
) -> WorkSummary:
    """The manager's own summary of a day (today or past); each save keeps the previous one as a version."""
    if not cmd.caller.is_manager:
        raise ManagersOnly(role=cmd.caller.role)
    day = parse_date(cmd.date)
    for _ in range(MAX_ATTEMPTS):
        current = summaries_store.get(cmd.caller.id, day.isoformat())
        at = now()
        saved = summaries.save(
            current,
            manager_id=cmd.caller.id,
            team_id=cmd.caller.team_id,
            day=day,
            today=today(),
            summary=cmd.summary,
            plan=cmd.next_day_plan,
            at=at.replace(microsecond=at.microsecond // 1000 * 1000),
        )
        if summaries_store.save_if_version(saved, current.version if current else None):
            kept = summaries_store.get(cmd.caller.id, day.isoformat()) or saved
            publisher.publish(events.work_summary_saved(kept))
            return kept
    raise RuntimeError(f"work summary of {cmd.caller.id} on {day} kept changing")


def get_summary(
    caller: Caller, day: str, manager_id: str, *, summaries_store: WorkSummaryStore, customers: CustomerStore
) -> WorkSummary:
    """A manager reads their own; a supervisor a team member's; an admin anyone's."""
    who = manager_id or caller.id
    found = summaries_store.get(who, parse_date(day).isoformat())
    if who != caller.id:
        rules.ensure_can_read(caller, who, found.team_id if found else customers.team_of(who))
    if found is None:
        raise SummaryNotFound(manager_id=who, date=day)
    return found
