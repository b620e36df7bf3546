"""Daily work summary and next-day plan per manager per day (P-002-4). Pure."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime

from planning.domain.errors import InvalidText

MAX_TEXT = 4000


@dataclass(frozen=True)
class SummaryVersion:
    summary: str
    next_day_plan: str
    saved_at: datetime


@dataclass(frozen=True)
class WorkSummary:
    manager_id: str
    team_id: str
    date: str
    summary: str
    next_day_plan: str
    saved_at: datetime
    # Every earlier save, oldest first: nothing is overwritten silently.
    versions: tuple[SummaryVersion, ...] = ()
    version: int = 0


def save(
    current: WorkSummary | None,
    *,
    manager_id: str,
    team_id: str,
    day: date,
    today: date,
    summary: str,
    plan: str,
    at: datetime,
) -> WorkSummary:
    """Today's or a past day's summary (not a future one); an edit keeps the previous text as a version."""
    if day > today:
        raise InvalidText("a work summary is written on or after its day", field="date")
    summary, plan = summary.strip(), plan.strip()
    if not summary or len(summary) > MAX_TEXT or len(plan) > MAX_TEXT:
        raise InvalidText(f"summary is required; each text at most {MAX_TEXT} characters", field="summary")
    if current is None:
        return WorkSummary(manager_id, team_id, day.isoformat(), summary, plan, at)
    previous = SummaryVersion(current.summary, current.next_day_plan, current.saved_at)
    return dataclasses.replace(
        current, summary=summary, next_day_plan=plan, saved_at=at, versions=(*current.versions, previous)
    )
