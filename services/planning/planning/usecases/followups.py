"""Follow-ups (P-003-7): owed after completed visits, listed with their due time and overdue flag."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from baifang_common.context import Caller
from baifang_common.publisher import EventPublisher
from baifang_common.timeutil import now_utc
from planning.adapters.customer_store import CustomerStore
from planning.adapters.followup_store import FollowUpStore
from planning.domain import followups, rules
from planning.domain.followups import FollowUp, FollowUpKind
from planning.domain.model import Visit
from planning.usecases import events
from planning.usecases.events import event_id


@dataclass(frozen=True)
class ListFollowUps:
    caller: Caller
    manager_id: str = ""
    include_done: bool = False


@dataclass(frozen=True)
class FollowUpView:
    item: FollowUp
    overdue: bool


def record_follow_ups(visit: Visit, *, follow_ups: FollowUpStore, publisher: EventPublisher) -> None:
    """After a completion: the thank-you and the next-steps item, each once (ids derive from the visit)."""
    ids = {kind: "fu-" + event_id("follow_up", kind.value, visit.id) for kind in FollowUpKind}
    items = followups.follow_ups_of(visit, ids)
    follow_ups.ensure(items)
    publisher.publish_many(events.follow_up_changed(f) for f in items)


def list_follow_ups(
    query: ListFollowUps,
    *,
    follow_ups: FollowUpStore,
    customers: CustomerStore,
    now: Callable[[], datetime] = now_utc,
) -> list[FollowUpView]:
    """The caller's follow-ups (a supervisor may name a team member), due first, overdue flagged."""
    manager_id = query.manager_id or query.caller.id
    if manager_id != query.caller.id:
        rules.ensure_can_read(query.caller, manager_id, customers.team_of(manager_id))
    at = now()
    items = [f for f in follow_ups.of_manager(manager_id) if query.include_done or f.done_at is None]
    return [FollowUpView(f, f.overdue(at)) for f in items]


def close_follow_up(
    caller: Caller,
    follow_up_id: str,
    *,
    follow_ups: FollowUpStore,
    publisher: EventPublisher,
    now: Callable[[], datetime] = now_utc,
) -> FollowUp:
    done = followups.close(caller, follow_ups.get(follow_up_id), follow_up_id, now())
    follow_ups.mark_done(done)
    kept = follow_ups.get(follow_up_id) or done
    publisher.publish(events.follow_up_changed(kept))
    return kept
