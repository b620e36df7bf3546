"""The live plan progress of a manager's day, as read from the `day_progress` read model."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class VisitStatus(StrEnum):
    """Visit states (docs/domain.md §3.4); `completed` and `missed` are final."""

    PLANNED = "planned"
    CHECKED_IN = "checked_in"
    MISSED = "missed"
    COMPLETED = "completed"


@dataclass(frozen=True)
class DayKey:
    """Which read-model document an event lands in: one per manager per date."""

    manager_id: str
    team_id: str
    date: str

    @property
    def doc_id(self) -> str:
        return f"{self.manager_id}:{self.date}"


@dataclass(frozen=True)
class PlannedVisit:
    visit_id: str
    customer_id: str
    task_count: int


@dataclass(frozen=True)
class VisitProgress:
    """What the events said about one visit so far (any subset of them, in any order)."""

    visit_id: str
    customer_id: str = ""
    planned: bool = False
    temporary: bool = False
    task_count: int = 0
    status: VisitStatus = VisitStatus.PLANNED
    checked_in: bool = False
    tasks_done: frozenset[str] = field(default_factory=frozenset)
    tasks_done_count: int = 0


@dataclass(frozen=True)
class PlanCounts:
    """The four counts of docs/domain.md §1.4 for one day, plus the customers checked in so far."""

    planned_customers: int = 0
    completed_customers: int = 0
    planned_tasks: int = 0
    executed_tasks: int = 0
    checked_in_customers: int = 0


@dataclass(frozen=True)
class ManagerProgress:
    manager_id: str
    counts: PlanCounts
    last_event_at: str = ""
    unplanned_tasks: int = 0  # entries recorded on the day's visits (§1.5.6)
    work_summary_saved: bool = False  # the day's work summary (P-002-4) was saved at least once


@dataclass(frozen=True)
class TeamProgress:
    team_id: str
    date: str
    managers: list[ManagerProgress]
