"""Plan counts (§1.4, decisions §3.5.3–3.5.4): customer-visits summed over days, Monday–Sunday weeks."""

from datetime import date

import pytest

from baifang_common.errors import InvalidArgument
from planning.domain import rules
from planning.domain.model import Period, Task, TaskStatus, Visit, VisitStatus


def visit(day: str, customer: str, status=VisitStatus.PLANNED, done=0, total=2, temporary=False) -> Visit:
    tasks = tuple(
        Task(f"{day}{customer}.t{i}", "T01", "陈列检查", "basic", "", TaskStatus.DONE if i < done else TaskStatus.OPEN)
        for i in range(total)
    )
    return Visit(f"v{day}{customer}", "m001", "t01", day, customer, status=status, tasks=tasks, temporary=temporary)


def test_week_runs_monday_to_sunday():
    assert rules.period_bounds(Period.WEEK, date(2026, 11, 29)) == (date(2026, 11, 23), date(2026, 11, 29))
    assert rules.period_bounds(Period.WEEK, date(2026, 11, 23)) == (date(2026, 11, 23), date(2026, 11, 29))
    assert rules.period_bounds(Period.WEEK, date(2026, 12, 2)) == (date(2026, 11, 30), date(2026, 12, 6))


def test_month_is_the_calendar_month():
    assert rules.period_bounds(Period.MONTH, date(2028, 2, 10)) == (date(2028, 2, 1), date(2028, 2, 29))


def test_day_counts_distinct_customers_and_tasks():
    visits = [visit("2026-11-23", "a", VisitStatus.COMPLETED, done=2), visit("2026-11-23", "b", done=0, total=3)]
    summary = rules.plan_summary(Period.DAY, date(2026, 11, 23), visits)
    assert summary.counts == rules.PlanCounts(2, 1, 5, 2)
    assert [d for d, _ in summary.rows] == [date(2026, 11, 23)]


def test_week_sums_customer_visits_over_days_and_ignores_other_weeks():
    visits = [
        visit("2026-11-23", "a", VisitStatus.COMPLETED, done=1),
        visit("2026-11-25", "a", VisitStatus.COMPLETED, done=2),  # same customer again: counted again
        visit("2026-11-29", "b", VisitStatus.MISSED),  # Sunday belongs to this week
        visit("2026-11-30", "c"),  # next Monday: another week
        visit("2026-11-22", "d"),  # previous Sunday: previous week
    ]
    summary = rules.plan_summary(Period.WEEK, date(2026, 11, 26), visits)
    assert summary.counts == rules.PlanCounts(3, 2, 6, 3)
    assert len(summary.rows) == 7
    assert dict(summary.rows)[date(2026, 11, 25)].completed_customers == 1


def test_temporary_visits_count_in_planned_and_completed():
    visits = [visit("2026-11-23", "a", VisitStatus.COMPLETED, done=1, total=1, temporary=True)]
    summary = rules.plan_summary(Period.MONTH, date(2026, 11, 1), visits)
    assert summary.counts == rules.PlanCounts(1, 1, 1, 1, temporary_customers=1)
    assert len(summary.rows) == 30


def test_unknown_period_is_a_bad_request():
    with pytest.raises(InvalidArgument):
        rules.parse_period("year")
