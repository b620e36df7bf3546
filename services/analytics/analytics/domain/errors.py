"""Analytics errors with their docs/api.md codes (mapped to HTTP by the gateway)."""

from __future__ import annotations

from baifang_common.errors import InvalidArgument, PermissionDenied


class TeamNotYours(PermissionDenied):
    code = "forbidden"
    default_message = "a supervisor reads only their own team"


class RoleNotAllowed(PermissionDenied):
    code = "forbidden"
    default_message = "this role cannot read team views"


class TeamRequired(InvalidArgument):
    code = "invalid_argument"
    default_message = "team_id is required"
