"""Work plans (工作计划): the four counts for a day, week or month of one manager's visits."""

from __future__ import annotations

from dataclasses import dataclass

from baifang_common.context import Caller
from baifang_common.timeutil import parse_date, today
from planning.adapters.customer_store import CustomerStore
from planning.adapters.visit_store import VisitStore
from planning.domain import rules
from planning.domain.rules import PlanSummary


@dataclass(frozen=True)
class GetPlanSummary:
    caller: Caller
    period: str
    date: str = ""
    manager_id: str = ""


def get_plan_summary(
    query: GetPlanSummary, *, visits: VisitStore, customers: CustomerStore, timezone: str
) -> PlanSummary:
    """Counts of the caller's plan (a supervisor may name a team member); date defaults to today."""
    period = rules.parse_period(query.period)
    anchor = parse_date(query.date) if query.date else today(timezone)
    manager_id = query.manager_id or query.caller.id
    if manager_id != query.caller.id:
        rules.ensure_can_read(query.caller, manager_id, customers.team_of(manager_id))
    start, end = rules.period_bounds(period, anchor)
    return rules.plan_summary(period, anchor, visits.for_range(manager_id, start.isoformat(), end.isoformat()))
