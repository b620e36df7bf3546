"""Customer ownership (P-004-14, P-004-13, P-001-2): one responsible manager at a time, reassigned by an
audited supervisor or admin action. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from baifang_common.context import Caller
from planning.domain.errors import AssignmentNotAllowed, InvalidText
from planning.domain.model import Customer


@dataclass(frozen=True)
class Assignment:
    """One change of the responsible manager, kept forever (the audit trail)."""

    id: str
    customer_id: str
    manager_id: str
    team_id: str
    previous_manager_id: str
    effective_from: datetime
    assigned_by: str
    reason: str


def assignment_team(caller: Caller, customer: Customer, team_id: str) -> str:
    """The team the customer moves to: a supervisor keeps it within their own team; an admin names any."""
    if caller.is_admin:
        return team_id or customer.team_id
    own_team = bool(caller.team_id) and customer.team_id == caller.team_id
    if caller.is_supervisor and own_team and team_id in ("", caller.team_id):
        return caller.team_id
    raise AssignmentNotAllowed(customer_id=customer.id)


def reason_of(value: str) -> str:
    kept = value.strip()
    if not kept or len(kept) > 500:
        raise InvalidText("a reason (at most 500 characters) is required", field="reason")
    return kept
