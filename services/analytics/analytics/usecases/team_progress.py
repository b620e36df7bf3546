"""The supervisor's live team view: the four plan counts per manager for one day."""

from __future__ import annotations

from dataclasses import dataclass

from analytics.adapters.day_progress_store import DayProgressStore
from analytics.domain.access import team_to_read
from analytics.domain.model import TeamProgress
from baifang_common.context import Caller
from baifang_common.timeutil import parse_date, today


@dataclass(frozen=True)
class TeamProgressQuery:
    caller: Caller
    team_id: str = ""
    date: str = ""


def get_team_progress(query: TeamProgressQuery, *, days: DayProgressStore, timezone: str) -> TeamProgress:
    """Managers without any event that day are absent; the empty date means today (company time)."""
    team_id = team_to_read(query.caller, query.team_id)
    day = (parse_date(query.date) if query.date else today(timezone)).isoformat()
    return TeamProgress(team_id=team_id, date=day, managers=days.team_day(team_id, day))
