"""Who may read which team's views: a supervisor their own team, an admin any team."""

from __future__ import annotations

from analytics.domain.errors import RoleNotAllowed, TeamNotYours, TeamRequired
from baifang_common.context import Caller


def team_to_read(caller: Caller, requested_team: str) -> str:
    """The team the caller may read; raises 403/400 otherwise (managers use planning's own summary)."""
    if caller.is_supervisor:
        if requested_team and requested_team != caller.team_id:
            raise TeamNotYours(team_id=requested_team)
        if not caller.team_id:
            raise TeamRequired("the supervisor has no team", field="team_id")
        return caller.team_id
    if caller.is_admin:
        if not requested_team:
            raise TeamRequired(field="team_id")
        return requested_team
    raise RoleNotAllowed(role=caller.role)
