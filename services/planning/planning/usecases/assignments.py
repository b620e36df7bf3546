"""Reassigning a customer (P-004-13, P-004-14, P-001-2): audited, effective-dated, announced by `customer.assigned`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from baifang_common.events import CustomerAssigned
from baifang_common.publisher import EventPublisher
from baifang_common.timeutil import iso, now_utc, parse_ts
from planning.adapters.assignment_store import AssignmentStore
from planning.adapters.customer_store import CustomerStore
from planning.domain import rules
from planning.domain.assignments import Assignment, assignment_team, reason_of
from planning.domain.errors import CustomerNotFound
from planning.usecases.events import event_id


@dataclass(frozen=True)
class AssignCustomer:
    caller: Caller
    op_id: str
    customer_id: str
    manager_id: str
    reason: str
    team_id: str = ""
    # ISO 8601; empty = now.
    effective_from: str = ""


def assign_customer(
    cmd: AssignCustomer,
    *,
    customers: CustomerStore,
    assignments: AssignmentStore,
    publisher: EventPublisher,
    now: Callable[[], datetime] = now_utc,
) -> Assignment:
    """Exactly one responsible manager: the record changes, the change is kept, the event goes out once per op."""
    if not cmd.op_id or not cmd.manager_id:
        raise InvalidArgument("op_id and manager_id are required", field="manager_id")
    assignment_id = "as-" + event_id("assignment", cmd.caller.id, cmd.op_id)
    kept = assignments.get(assignment_id)
    if kept is not None:
        return kept
    customer = customers.get(cmd.customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id=cmd.customer_id)
    team_id = assignment_team(cmd.caller, customer, cmd.team_id)
    at = parse_ts(cmd.effective_from, "effective_from") if cmd.effective_from else now()
    at = at.replace(microsecond=at.microsecond // 1000 * 1000)  # the store keeps milliseconds
    assignment = Assignment(
        assignment_id,
        customer.id,
        cmd.manager_id,
        team_id,
        customer.manager_id,
        at,
        cmd.caller.id,
        reason_of(cmd.reason),
    )
    if not customers.reassign(customer.id, cmd.manager_id, team_id, customer.manager_id):
        raise InvalidArgument("the customer was reassigned meanwhile; read it again", field="customer_id")
    assignments.insert(assignment)
    assignment = assignments.get(assignment_id) or assignment
    publisher.publish(
        CustomerAssigned(
            event_id=event_id("customer.assigned", assignment_id),
            customer_id=customer.id,
            manager_id=cmd.manager_id,
            team_id=team_id,
            previous_manager_id=customer.manager_id,
            effective_from=iso(at),
            reason=assignment.reason,
            assigned_by=cmd.caller.id,
        )
    )
    return assignment


def assignment_history(
    caller: Caller, customer_id: str, *, customers: CustomerStore, assignments: AssignmentStore
) -> list[Assignment]:
    """The audit trail of one customer: for its current team's supervisor and admins."""
    customer = customers.get(customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id=customer_id)
    rules.ensure_can_read(caller, customer.manager_id, customer.team_id)
    return assignments.of_customer(customer_id)
