"""The attendance view's visit counts per manager (the gateway sets them beside checkin's day facts)."""

from __future__ import annotations

from dataclasses import dataclass

from analytics.adapters.plan_facts_reader import PlanFactsReader
from analytics.domain.access import team_to_read
from analytics.domain.attendance import VisitTally, visit_tally
from baifang_common.context import Caller
from baifang_common.timeutil import parse_date, today


@dataclass(frozen=True)
class TeamAttendanceQuery:
    caller: Caller
    team_id: str = ""
    date: str = ""


def get_team_attendance(
    query: TeamAttendanceQuery, *, plans: PlanFactsReader, timezone: str
) -> tuple[str, str, list[VisitTally]]:
    """(team, date, counts per manager with any plan event that day); empty date = today."""
    team_id = team_to_read(query.caller, query.team_id)
    day = (parse_date(query.date) if query.date else today(timezone)).isoformat()
    return team_id, day, [visit_tally(doc) for doc in plans.team_day(team_id, day)]
