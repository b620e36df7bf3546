"""Pure rules of the attendance view's visit counts (P-002-5, P-003-4, §3.5 item 6).

Counted over the day's planned visits (temporary ones included, as in the plan counts): done =
completed, missed = the end-of-day sweep's verdict, checked in = with a check-in, phone = done
without a check-in (a phone visit never checks in, docs/domain.md §3.5.6), counted apart so a
phone visit never passes for presence in the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from analytics.domain.model import VisitStatus
from analytics.domain.rules import planned_visits, visit_from_document


@dataclass(frozen=True)
class VisitTally:
    manager_id: str
    planned: int = 0
    done: int = 0
    checked_in: int = 0
    missed: int = 0
    phone_done: int = 0


def visit_tally(doc: Mapping[str, Any]) -> VisitTally:
    """The counts of one `day_progress` document."""
    plans = planned_visits(doc)
    recorded = doc.get("visits") or {}
    visits = [visit_from_document(vid, recorded.get(vid) or {}, plans.get(vid)) for vid in {*plans, *recorded}]
    planned = [v for v in visits if v.planned]
    done = [v for v in planned if v.status is VisitStatus.COMPLETED]
    return VisitTally(
        manager_id=str(doc.get("manager_id", "")),
        planned=len(planned),
        done=len(done),
        checked_in=sum(1 for v in planned if v.checked_in),
        missed=sum(1 for v in planned if v.status is VisitStatus.MISSED),
        phone_done=sum(1 for v in done if not v.checked_in),
    )
