"""Applying collection's, planning's and checkin's business events to the facts (worker side).

A batch of events becomes the fact writes they state (adapters/facts_store.py: idempotent and
order-independent), written at once, then the order views of every (customer, month) the batch
touched are recomputed from the facts (usecases/order_views.py). Malformed events raise, so the
batch consumer retries them and then dead-letters them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Any

import analytics.usecases.terminal_views as terminal_views
from analytics.adapters.facts_store import Fact, FactsStore, history_fields, home_field
from analytics.adapters.order_views_store import OrderViewsStore
from analytics.domain.business import ADJUSTMENT_RANK, ADJUSTMENT_STATUS, FOLLOW_UP_RANK, month_of
from analytics.usecases import customer_value, visit_frequency
from analytics.usecases.customer_value import ValueBook
from analytics.usecases.order_views import Key, recompute, refresh_rosters, refresh_tiers
from baifang_common.events import (
    AgreedQuantitySubmitted,
    AppointmentBooked,
    CheckinRecorded,
    CustomerAssigned,
    CustomerIssueChanged,
    CustomerUpserted,
    Event,
    FollowUpChanged,
    NoteWritten,
    NoticePosted,
    NoticeReadRecorded,
    OrdersRecorded,
    PriceInventorySubmitted,
    PromotionFeedbackRecorded,
    ShelvingRecorded,
    SkuUpserted,
    SpecialUseReported,
    SupplyAdjustmentApproved,
    SupplyAdjustmentEvent,
    SupplyAdjustmentRejected,
    SupplyAdjustmentRequested,
    SupplyAdjustmentWithdrawn,
    TerminalInfoUpdated,
    TerminalResourcesCollected,
    UnplannedTaskRecorded,
    VisitCompleted,
    VisitMissed,
)
from baifang_common.timeutil import parse_date, parse_ts, utc_key

Ops = list[Fact]

CARD_FIELDS = (
    "code", "short_code", "name", "licence_no", "address", "location", "star", "terminal_type",
    "credit_grade", "value_class", "order_type", "settlement_method", "route_id", "area_id", "status", "version",
)  # fmt: skip


def _stamp(value: str, field: str) -> str:
    """A time as fixed-width digits (UTC): ranks compare as text (facts_store.latest_wins)."""
    return "".join(ch for ch in utc_key(parse_ts(value, field, naive_zone=UTC)) if ch.isdigit())


def _at(event: Event) -> str:
    return _stamp(event.occurred_at, "occurred_at")


def _need(**values: Any) -> None:
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise ValueError(f"event without {', '.join(missing)}")


def customer_upserted(event: CustomerUpserted, ops: Ops, keys: set[Key]) -> None:
    _need(customer_id=event.customer_id)
    fields = {name: getattr(event, name) for name in CARD_FIELDS}
    fields["peer_group"] = f"{event.terminal_type}|{event.area_id}"  # similar outlets (one indexed field)
    ops.append(Fact("customers", event.customer_id, fields, "latest", f"{event.version:09d}|{_at(event)}"))


def customer_assigned(event: CustomerAssigned, ops: Ops, keys: set[Key]) -> None:
    """The owner changes the manager the order views are filed under: their keys are recomputed."""
    _need(customer_id=event.customer_id, manager_id=event.manager_id)
    since = event.effective_from or event.occurred_at
    fields = {"manager_id": event.manager_id, "team_id": event.team_id, "since": since}
    ops.append(Fact("owners", event.customer_id, fields, "latest", f"{_stamp(since, 'effective_from')}|{_at(event)}"))
    keys.add((event.customer_id, ""))  # every month of the customer, resolved after the write


def sku_upserted(event: SkuUpserted, ops: Ops, keys: set[Key]) -> None:
    _need(sku=event.sku)
    fields = {
        "name": event.name, "brand": event.brand, "price_class": int(event.price_class),
        "ref_pack_price_fen": int(event.ref_pack_price_fen), "ref_carton_price_fen": int(event.ref_carton_price_fen),
        "packs_per_carton": int(event.packs_per_carton), "active": bool(event.active),
    }  # fmt: skip
    ops.append(Fact("skus", event.sku, fields, "latest", _at(event)))


def orders_recorded(event: OrdersRecorded, ops: Ops, keys: set[Key]) -> None:
    """Lines are upserted by (order_id, line_no): a re-import's later event replaces the line. Every
    customer and month a statement of the line named is kept with it (its homes): a re-import that
    moves the line to another customer or order month recomputes the keys it left too."""
    at = _at(event)
    for line in event.lines:
        _need(order_id=line.get("order_id"), customer_id=line.get("customer_id"), sku=line.get("sku"))
        day = parse_date(str(line.get("order_date", "")), "order_date").isoformat()
        fields = {
            "customer_id": str(line["customer_id"]), "manager_id": str(line.get("manager_id", "")),
            "team_id": str(line.get("team_id", "")), "sku": str(line["sku"]), "quantity": int(line["quantity"]),
            "amount_fen": int(line["amount_fen"]), "order_date": day, "month": month_of(day),
        }  # fmt: skip
        home = {home_field(fields["customer_id"], fields["month"]): True}  # kept whether this statement wins or not
        ops.append(Fact("orders", f"{line['order_id']}:{int(line.get('line_no', 0))}", fields, "latest", at, home))
        ops.append(Fact("last_activity", fields["customer_id"], {"ordered": day}, "max"))
        keys.add((fields["customer_id"], fields["month"]))


def agreed_submitted(event: AgreedQuantitySubmitted, ops: Ops, keys: set[Key]) -> None:
    """Immutable (R-1.5.8.2-a): the earliest submission of the customer's month is kept, whatever arrives first."""
    _need(customer_id=event.customer_id, month=event.month)
    fields = {
        "customer_id": event.customer_id, "month": event.month, "manager_id": event.manager_id,
        "team_id": event.team_id, "lines": event.lines, "total": int(event.total),
    }  # fmt: skip
    ops.append(
        Fact("agreed", f"{event.customer_id}:{event.month}", fields, "earliest", f"{_at(event)}|{event.event_id}")
    )
    keys.add((event.customer_id, event.month))


def adjustment_changed(event: SupplyAdjustmentEvent, ops: Ops, keys: set[Key]) -> None:
    """A decided state (approved, rejected, withdrawn) outranks pending, whatever the arrival order."""
    _need(adjustment_id=event.adjustment_id, customer_id=event.customer_id, month=event.month)
    status = ADJUSTMENT_STATUS[event.event_type]
    fields = {
        "customer_id": event.customer_id, "month": event.month, "manager_id": event.manager_id,
        "team_id": event.team_id, "lines": event.lines, "reason": event.reason, "status": status,
        "decided_by": event.decided_by, "at": event.at or event.occurred_at,
    }  # fmt: skip
    ops.append(Fact("adjustments", event.adjustment_id, fields, "latest", f"{ADJUSTMENT_RANK[status]}|{_at(event)}"))
    keys.add((event.customer_id, event.month))


def price_inventory(event: PriceInventorySubmitted, ops: Ops, keys: set[Key]) -> None:
    """A later submission for the same visit supersedes an earlier one."""
    _need(visit_id=event.visit_id, customer_id=event.customer_id)
    fields = {
        "collection_id": event.collection_id, "customer_id": event.customer_id, "manager_id": event.manager_id,
        "date": parse_date(event.date).isoformat(), "submitted_at": event.submitted_at, "lines": event.lines,
    }  # fmt: skip
    rank = f"{_stamp(event.submitted_at, 'submitted_at')}|{_at(event)}"
    ops.append(Fact("collections", event.visit_id, fields, "latest", rank))
    ops.append(Fact("last_activity", event.customer_id, {"collected": fields["date"]}, "max"))


def terminal_saved(event: TerminalResourcesCollected | TerminalInfoUpdated, ops: Ops, keys: set[Key]) -> None:
    _need(customer_id=event.customer_id)
    kind = "info" if isinstance(event, TerminalInfoUpdated) else "resources"
    fields = {
        "customer_id": event.customer_id, "kind": kind, "version": int(event.version), "values": event.values,
        "card_fields": getattr(event, "card_fields", {}), "saved_by": event.saved_by, "saved_at": event.saved_at,
    }  # fmt: skip
    ops.append(Fact("terminals", f"{event.customer_id}:{kind}", fields, "latest", f"{int(event.version):09d}"))
    # Every version, dated, for the quality trend (§1.6.5): a malformed time is refused here, not at every read.
    _stamp(event.saved_at, "saved_at")
    history = history_fields(event.customer_id, kind, fields)
    ops.append(Fact("terminal_history", f"{event.customer_id}:{kind}", history, "merge"))


def visit_fact(event: CheckinRecorded | VisitCompleted | VisitMissed, ops: Ops, keys: set[Key]) -> None:
    _need(visit_id=event.visit_id, customer_id=event.customer_id)
    base = {
        "customer_id": event.customer_id,
        "manager_id": event.manager_id,
        "date": parse_date(event.date).isoformat(),
    }
    if isinstance(event, CheckinRecorded):
        fact: dict[str, Any] = {"checkin": {"at": event.received_at, "verdict": event.verdict}}
    elif isinstance(event, VisitCompleted):
        fact = {"completion": {"at": event.completed_at, "tasks_done": event.tasks_done,
                               "tasks_total": event.tasks_total, "summary": event.summary}}  # fmt: skip
    else:
        fact = {"missed": True}
    ops.append(Fact("visits", event.visit_id, {**base, **fact}, "merge"))
    if "completion" in fact:
        ops.append(Fact("last_activity", event.customer_id, {"visited": base["date"]}, "max"))


def unplanned_task(event: UnplannedTaskRecorded, ops: Ops, keys: set[Key]) -> None:
    """An entry of the visit's unplanned tasks (§1.5.6), under its own key: entries never change."""
    _need(visit_id=event.visit_id, customer_id=event.customer_id, date=event.date, event_id=event.event_id)
    if "." in event.event_id or event.event_id.startswith("$"):
        raise ValueError(f"event_id cannot be used as a document key: {event.event_id!r}")
    fields = {
        "customer_id": event.customer_id, "manager_id": event.manager_id, "date": parse_date(event.date).isoformat(),
        f"unplanned.{event.event_id}": {"text": event.text, "client_ts": event.client_ts, "at": event.occurred_at},
    }  # fmt: skip
    ops.append(Fact("visits", event.visit_id, fields, "merge"))


def appointment_booked(event: AppointmentBooked, ops: Ops, keys: set[Key]) -> None:
    """An appointment is booked once and never changes (P-003-3): the first statement is kept."""
    _need(appointment_id=event.appointment_id, customer_id=event.customer_id, scheduled_at=event.scheduled_at)
    _stamp(event.scheduled_at, "scheduled_at")  # a malformed time is refused here, not at every read
    if int(event.duration_min) <= 0:
        raise ValueError(f"appointment duration {event.duration_min!r}")
    fields = {
        "customer_id": event.customer_id, "manager_id": event.manager_id, "team_id": event.team_id,
        "date": event.date, "booked_at": event.booked_at, "scheduled_at": event.scheduled_at,
        "duration_min": int(event.duration_min), "purpose": event.purpose, "short_notice": bool(event.short_notice),
    }  # fmt: skip
    ops.append(Fact("appointments", event.appointment_id, fields, "first"))


NOTE_ACTIONS = {"created": 0, "updated": 0, "deleted": 1}  # deletion is final, whatever arrives after it


def note_written(event: NoteWritten, ops: Ops, keys: set[Key]) -> None:
    """Counts only: the event carries neither text nor customer (notes are their author's, P-004-15)."""
    _need(note_id=event.note_id, author_id=event.author_id, action=event.action)
    if event.action not in NOTE_ACTIONS:
        raise ValueError(f"note action {event.action!r}")
    fields = {"author_id": event.author_id, "version": int(event.version), "deleted": event.action == "deleted"}
    rank = f"{NOTE_ACTIONS[event.action]}|{int(event.version):09d}|{_at(event)}"
    ops.append(Fact("notes", event.note_id, fields, "latest", rank))


def notice_posted(event: NoticePosted, ops: Ops, keys: set[Key]) -> None:
    _need(notice_id=event.notice_id, author_id=event.author_id, audience=event.audience)
    fields = {"author_id": event.author_id, "audience": event.audience, "title": event.title,
              "posted_at": event.occurred_at}  # fmt: skip
    ops.append(Fact("notices", event.notice_id, fields, "first"))


def notice_read(event: NoticeReadRecorded, ops: Ops, keys: set[Key]) -> None:
    """One receipt per reader and notice: the earliest reading is kept."""
    _need(notice_id=event.notice_id, reader_id=event.reader_id, read_at=event.read_at)
    fields = {"notice_id": event.notice_id, "reader_id": event.reader_id, "read_at": event.read_at}
    rank = _stamp(event.read_at, "read_at")
    ops.append(Fact("notice_reads", f"{event.notice_id}:{event.reader_id}", fields, "earliest", rank))


def activity(
    event: SpecialUseReported | PromotionFeedbackRecorded | ShelvingRecorded, ops: Ops, keys: set[Key]
) -> None:
    """Immutable activity records the merchant details list (special use, promotion feedback, shelving)."""
    _need(customer_id=event.customer_id)
    if isinstance(event, SpecialUseReported):
        kind, ident, day = "special_use", event.report_id, event.filed_at
        summary: dict[str, Any] = {"occasion": event.occasion, "event_date": event.event_date, "lines": event.lines}
    elif isinstance(event, PromotionFeedbackRecorded):
        kind, ident, day = "promotion_feedback", event.feedback_id, event.recorded_at
        summary = {"promotion_id": event.promotion_id, "intent": event.intent, "intended_qty": event.intended_qty}
    else:
        kind, ident, day = "shelving", event.record_id, event.recorded_at
        summary = {"facts": event.facts}
    _need(id=ident)
    fields = {"customer_id": event.customer_id, "kind": kind, "date": day or event.occurred_at, "summary": summary}
    ops.append(Fact("activities", f"{kind}:{ident}", fields, "first"))


def follow_up_changed(event: FollowUpChanged, ops: Ops, keys: set[Key]) -> None:
    """The event has no version: done is final and outranks open, then the later statement wins."""
    _need(follow_up_id=event.follow_up_id, customer_id=event.customer_id, status=event.status)
    if event.status not in FOLLOW_UP_RANK:
        raise ValueError(f"follow-up status {event.status!r}")
    if event.due_at:
        _stamp(event.due_at, "due_at")  # a malformed due time is refused here, not at every read
    fields = {
        "customer_id": event.customer_id, "kind": event.kind, "manager_id": event.manager_id,
        "team_id": event.team_id, "visit_id": event.visit_id, "status": event.status,
        "due_at": event.due_at, "done_at": event.done_at,
    }  # fmt: skip
    rank = f"{FOLLOW_UP_RANK[event.status]}|{_at(event)}"
    ops.append(Fact("follow_ups", event.follow_up_id, fields, "latest", rank))


def customer_issue_changed(event: CustomerIssueChanged, ops: Ops, keys: set[Key]) -> None:
    """Planning bumps the issue's version at every move: the highest version wins, whatever arrives first."""
    _need(issue_id=event.issue_id, customer_id=event.customer_id, status=event.status)
    if event.reply_due_at:
        _stamp(event.reply_due_at, "reply_due_at")  # a malformed due time is refused here, not at every read
    fields = {
        "customer_id": event.customer_id, "kind": event.kind, "manager_id": event.manager_id,
        "team_id": event.team_id, "status": event.status, "opened_at": event.opened_at,
        "reply_due_at": event.reply_due_at, "changed_by": event.changed_by, "version": int(event.version),
    }  # fmt: skip
    ops.append(Fact("issues", event.issue_id, fields, "latest", f"{int(event.version):09d}|{_at(event)}"))


Handler = Callable[[Any, Ops, set[Key]], None]
HANDLERS: dict[str, tuple[type[Event], Handler]] = {
    cls.event_type: (cls, handler)
    for cls, handler in (
        (CustomerUpserted, customer_upserted),
        (CustomerAssigned, customer_assigned),
        (SkuUpserted, sku_upserted),
        (OrdersRecorded, orders_recorded),
        (AgreedQuantitySubmitted, agreed_submitted),
        (SupplyAdjustmentRequested, adjustment_changed),
        (SupplyAdjustmentApproved, adjustment_changed),
        (SupplyAdjustmentRejected, adjustment_changed),
        (SupplyAdjustmentWithdrawn, adjustment_changed),
        (PriceInventorySubmitted, price_inventory),
        (TerminalResourcesCollected, terminal_saved),
        (TerminalInfoUpdated, terminal_saved),
        (CheckinRecorded, visit_fact),
        (VisitCompleted, visit_fact),
        (VisitMissed, visit_fact),
        (SpecialUseReported, activity),
        (PromotionFeedbackRecorded, activity),
        (ShelvingRecorded, activity),
        (FollowUpChanged, follow_up_changed),
        (CustomerIssueChanged, customer_issue_changed),
        (UnplannedTaskRecorded, unplanned_task),
        (AppointmentBooked, appointment_booked),
        (NoteWritten, note_written),
        (NoticePosted, notice_posted),
        (NoticeReadRecorded, notice_read),
    )
}


def apply_bodies(
    event_type: str,
    bodies: list[dict[str, Any]],
    *,
    facts: FactsStore,
    views: OrderViewsStore,
    values: ValueBook | None = None,
) -> None:
    """The worker's entry: a batch of one event type's JSON bodies."""
    event_cls = HANDLERS[event_type][0]
    apply_events([event_cls.from_body(body) for body in bodies], facts=facts, views=views, values=values)


def apply_events(
    events: Sequence[Event], *, facts: FactsStore, views: OrderViewsStore, values: ValueBook | None = None
) -> None:
    """Store the batch's facts, recompute the order views of every key it touched (the rosters'
    tiers after cards, the completed-visit tallies after completions) and then (given `values`)
    the value class of every customer whose orders changed, from those views."""
    ops: Ops = []
    keys: set[Key] = set()
    for event in events:
        HANDLERS[event.event_type][1](event, ops, keys)
    assigned: dict[str, set[str]] = {}
    for event in events:
        if isinstance(event, CustomerAssigned):
            assigned.setdefault(event.customer_id, set()).add(f"{event.manager_id}|{event.team_id}")
    views.note_owners(assigned)  # before the owners: a later batch moving the customer reads them back
    stored = facts.write(ops)
    # Lines stored before (a re-import or a replay; new lines cost no read): every key they were
    # ever under, read after the write, so a key another batch moved a line from is seen too.
    left = facts.order_homes(stored["orders"]) if stored.get("orders") else set()
    keys |= left
    if assigned:
        refresh_rosters(views.owners_noted(assigned), facts=facts, views=views)
    if upserted := [e.customer_id for e in events if isinstance(e, CustomerUpserted)]:
        refresh_tiers(upserted, facts=facts, views=views)  # the rosters carry each card's value class
    done = [
        (parse_date(e.date).isoformat(), e.visit_id, e.customer_id) for e in events if isinstance(e, VisitCompleted)
    ]
    if done and views.visit_tallies is not None:
        visit_frequency.record_completions(done, tallies=views.visit_tallies)
    reassigned = [customer for customer, month in keys if not month]
    if reassigned:
        # Only the months whose view is not already filed under the stored owner: an import or a
        # replay restating the owner recomputes nothing.
        owners = {c: (o.manager_id, o.team_id) for c, o in facts.owners(reassigned).items()}
        keys |= set(views.needing_owner(views.months_of(reassigned), owners))
    keys = {key for key in keys if key[1]}
    if keys:
        views.touch(keys)
        recompute(keys, facts=facts, views=views)
    # The terminal rows, then the summaries of the rosters written above (and of the rows' owners).
    rosters = views.owners_noted(assigned) if assigned else set()
    terminal_views.after_batch(events, book=terminal_views.book_of(facts), rosters=rosters)
    if values is not None:  # after the views: the value class reads their totals per order day
        ordered = {str(line["customer_id"]) for e in events if isinstance(e, OrdersRecorded) for line in e.lines}
        ordered |= {customer for customer, _ in left}  # the customers a re-imported line left
        customer_value.recompute(ordered, facts=facts, book=values)
