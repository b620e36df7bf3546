"""Follow-ups (P-003-7): the thank-you due 48 h after a completed formal visit, and the visit's next steps. Pure."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from baifang_common.context import Caller
from baifang_common.timeutil import parse_ts
from planning.domain.errors import FollowUpNotFound
from planning.domain.model import Visit, VisitMethod, VisitStatus

# P-003-7: the thank-you letter or call is due two days after the visit.
THANK_YOU_AFTER = timedelta(hours=48)
# The visit's next steps are due by the next week's visit, a week later.
NEXT_STEPS_AFTER = timedelta(days=7)


class FollowUpKind(StrEnum):
    THANK_YOU = "thank_you"
    NEXT_STEPS = "next_steps"


@dataclass(frozen=True)
class FollowUp:
    id: str
    kind: FollowUpKind
    manager_id: str
    team_id: str
    customer_id: str
    visit_id: str
    text: str
    due_at: datetime
    done_at: datetime | None = None

    def overdue(self, now: datetime) -> bool:
        return self.done_at is None and self.due_at < now


def follow_ups_of(visit: Visit, ids: dict[FollowUpKind, str]) -> list[FollowUp]:
    """A completed formal (planned, on-site) visit owes a thank-you; non-empty next steps become an item."""
    if visit.status != VisitStatus.COMPLETED or visit.completed_at is None:
        return []
    # The client's completion time is the business time (R-1.3.3-e); the server's when it gave none.
    completed = parse_ts(visit.completed_client_ts) if visit.completed_client_ts else visit.completed_at
    made = []
    base = {"manager_id": visit.manager_id, "team_id": visit.team_id, "customer_id": visit.customer_id}
    if visit.method == VisitMethod.ON_SITE and not visit.temporary:
        due = completed + THANK_YOU_AFTER
        made.append(
            FollowUp(
                ids[FollowUpKind.THANK_YOU], FollowUpKind.THANK_YOU, visit_id=visit.id, text="", due_at=due, **base
            )
        )
    if visit.next_steps.strip():
        due = completed + NEXT_STEPS_AFTER
        text = visit.next_steps.strip()
        made.append(
            FollowUp(
                ids[FollowUpKind.NEXT_STEPS], FollowUpKind.NEXT_STEPS, visit_id=visit.id, text=text, due_at=due, **base
            )
        )
    return made


def close(caller: Caller, item: FollowUp | None, follow_up_id: str, at: datetime) -> FollowUp:
    """Only its manager closes a follow-up (anyone else: 404); closing twice keeps the first time."""
    if item is None or item.manager_id != caller.id:
        raise FollowUpNotFound(follow_up_id=follow_up_id)
    return item if item.done_at else dataclasses.replace(item, done_at=at)
