"""Analytics errors with their docs/api.md codes (mapped to HTTP by the gateway)."""

from __future__ import annotations

from baifang_common.errors import Conflict, InvalidArgument, NotFound, PermissionDenied, RuleViolation


class TeamNotYours(PermissionDenied):
    code = "forbidden"
    default_message = "a supervisor reads only their own team"


class RoleNotAllowed(PermissionDenied):
    code = "forbidden"
    default_message = "this role cannot read team views"


class TeamRequired(InvalidArgument):
    code = "invalid_argument"
    default_message = "team_id is required"


class CustomerNotYours(PermissionDenied):
    code = "forbidden"
    default_message = "the customer is not yours or your team's (P-004-15)"


class CustomerUnknown(NotFound):
    code = "not_found"
    default_message = "no such customer in the analytics read models"


class BadPeriod(InvalidArgument):
    code = "invalid_argument"
    default_message = "malformed date, month or number of months"


class InvalidStandard(RuleViolation):
    code = "invalid_terminal_standard"
    default_message = "the evaluation standard has malformed criteria"


class StandardChanged(Conflict):
    code = "conflict"
    default_message = "another admin saved the standard at the same time; read it and try again"


class UnknownAttribute(InvalidArgument):
    code = "invalid_argument"
    default_message = "terminal statistics cannot be grouped by this attribute"
