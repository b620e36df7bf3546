"""Team views (analytics service)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from baifang.analytics.v1 import analytics_pb2
from baifang_common.context import Caller
from gateway.auth import require_roles
from gateway.deps import Deps, get_deps
from gateway.errors import ApiError
from gateway.pagination import DEFAULT_LIMIT, Cursor, Limit, decode_cursor, page
from gateway.params import DateQuery, resolve_date
from gateway.routes import API_PREFIX

router = APIRouter(prefix=API_PREFIX, tags=["analytics"])


def team_of(caller: Caller, team_id: str | None) -> str:
    """A supervisor sees their own team; an admin names the team."""
    if caller.is_admin:
        if not team_id:
            raise ApiError(400, "invalid_request", "team_id is required for an admin", {"team_id": "Field required"})
        return team_id
    if team_id and team_id != caller.team_id:
        raise ApiError(403, "forbidden", "not your team", {"team_id": team_id})
    return caller.team_id


@router.get("/team/progress")
async def team_progress(
    caller: Annotated[Caller, Depends(require_roles("supervisor", "admin"))],
    deps: Annotated[Deps, Depends(get_deps)],
    date: DateQuery = "",
    team_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Per manager of the team: the four plan counts of the day, check-ins, unplanned tasks and whether
    the day's work summary is saved, live."""
    day = resolve_date(date, deps.settings.timezone)
    offset = decode_cursor(cursor)
    team = team_of(caller, team_id)
    answer = await deps.clients.call(
        deps.clients.analytics.GetTeamProgress, analytics_pb2.GetTeamProgressRequest(team_id=team, date=day), caller
    )
    items = [
        {
            "manager_id": m.manager_id,
            "planned_customers": m.planned_customers,
            "completed_customers": m.completed_customers,
            "planned_tasks": m.planned_tasks,
            "executed_tasks": m.executed_tasks,
            "checked_in_customers": m.checked_in_customers,
            "last_event_at": m.last_event_at or None,
            "unplanned_tasks": m.unplanned_tasks,
            "work_summary_saved": m.work_summary_saved,
        }
        for m in answer.managers
    ]
    return {"date": answer.date or day, "team_id": answer.team_id or team, **page(items, limit, offset)}
