"""AnalyticsWorker (nameko): one batched handler per consumed event, each one line into a use case.

Each handler takes up to ANALYTICS_CONSUMER_BATCH_MAX events of its type and writes them with
one bulk write (one update per manager-day); the business facts (usecases/business_facts.py) are
written the same way, then the order views of the (customer, month) keys a batch touched are
recomputed from the facts, and the value class of every customer an `orders.recorded` batch named
is re-judged (usecases/customer_value.py). No inbox: every write is a `$set` of a fact that
never changes (adapters/day_progress_store.py), so a redelivered event rewrites what is there;
on NX-27017 the inbox's query and insert cost about as much as the read model's own write.
"""

from __future__ import annotations

from typing import Any

from nameko.timer import Timer

from analytics import bootstrap
from analytics.settings import AnalyticsSettings
from analytics.usecases import business_facts, customer_value, progress, scan_views, terminal_views
from baifang_common.events import (
    CheckinRecorded,
    Event,
    ScanBatchAccepted,
    TaskCompleted,
    UnplannedTaskRecorded,
    VisitCompleted,
    VisitMissed,
    VisitPlanPublished,
    VisitTemporaryAdded,
    WorkSummarySaved,
)
from baifang_common.logging import configure_logging
from baifang_common.worker import Deps, RequestId, batch_event_handler, run_worker

STANDARD_CHECK_SECONDS = 30.0  # how soon the terminal summaries follow a new evaluation standard
VALUE_CHECK_SECONDS = 600.0  # how soon after the company's midnight every value class is judged again
# An import event carries up to 500 order lines: 200 events (100k lines) per batch, whatever the
# other consumers take (ANALYTICS_CONSUMER_BATCH_MAX).
ORDER_BATCH_MAX = 200


class AnalyticsWorker:
    name = "analytics"
    deps = Deps(bootstrap.build_worker)
    request_id = RequestId()

    def _apply(self, event_type: type[Event], bodies: list[dict[str, Any]]) -> None:
        progress.apply_events([event_type.from_body(body) for body in bodies], days=self.deps.days)

    @batch_event_handler("planning", "visit_plan.published", dedupe=False)
    def on_visit_plan_published(self, bodies: list[dict[str, Any]]) -> None:
        self._apply(VisitPlanPublished, bodies)

    @batch_event_handler("planning", "visit.temporary_added", dedupe=False)
    def on_visit_temporary_added(self, bodies: list[dict[str, Any]]) -> None:
        self._apply(VisitTemporaryAdded, bodies)

    @batch_event_handler("checkin", "checkin.recorded", dedupe=False)
    def on_checkin_recorded(self, bodies: list[dict[str, Any]]) -> None:
        self._apply(CheckinRecorded, bodies)

    @batch_event_handler("planning", "task.completed", dedupe=False)
    def on_task_completed(self, bodies: list[dict[str, Any]]) -> None:
        self._apply(TaskCompleted, bodies)

    @batch_event_handler("planning", "visit.completed", dedupe=False)
    def on_visit_completed(self, bodies: list[dict[str, Any]]) -> None:
        self._apply(VisitCompleted, bodies)

    @batch_event_handler("planning", "visit.missed", dedupe=False)
    def on_visit_missed(self, bodies: list[dict[str, Any]]) -> None:
        self._apply(VisitMissed, bodies)

    @batch_event_handler("planning", "unplanned_task.recorded", dedupe=False)
    def on_unplanned_task_recorded(self, bodies: list[dict[str, Any]]) -> None:
        self._apply(UnplannedTaskRecorded, bodies)

    @batch_event_handler("planning", "work_summary.saved", dedupe=False)
    def on_work_summary_saved(self, bodies: list[dict[str, Any]]) -> None:
        self._apply(WorkSummarySaved, bodies)

    # --- business facts (usecases/business_facts.py): each event type has its own queue and batch ---

    def _facts(self, event_type: str, bodies: list[dict[str, Any]]) -> None:
        business_facts.apply_bodies(
            event_type, bodies, facts=self.deps.facts, views=self.deps.order_views, values=self.deps.values
        )

    @batch_event_handler("planning", "customer.upserted", dedupe=False)
    def on_customer_upserted_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("customer.upserted", bodies)

    @batch_event_handler("planning", "customer.assigned", dedupe=False)
    def on_customer_assigned_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("customer.assigned", bodies)

    @batch_event_handler("collection", "sku.upserted", dedupe=False)
    def on_sku_upserted_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("sku.upserted", bodies)

    @batch_event_handler("collection", "orders.recorded", dedupe=False, max_batch=ORDER_BATCH_MAX)
    def on_orders_recorded_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("orders.recorded", bodies)

    @batch_event_handler("collection", "agreed_quantity.submitted", dedupe=False)
    def on_agreed_quantity_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("agreed_quantity.submitted", bodies)

    @batch_event_handler("collection", "supply_adjustment.requested", dedupe=False)
    def on_adjustment_requested_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("supply_adjustment.requested", bodies)

    @batch_event_handler("collection", "supply_adjustment.approved", dedupe=False)
    def on_adjustment_approved_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("supply_adjustment.approved", bodies)

    @batch_event_handler("collection", "supply_adjustment.rejected", dedupe=False)
    def on_adjustment_rejected_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("supply_adjustment.rejected", bodies)

    @batch_event_handler("collection", "supply_adjustment.withdrawn", dedupe=False)
    def on_adjustment_withdrawn_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("supply_adjustment.withdrawn", bodies)

    @batch_event_handler("collection", "price_inventory.submitted", dedupe=False)
    def on_price_inventory_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("price_inventory.submitted", bodies)

    @batch_event_handler("collection", "terminal_resources.collected", dedupe=False)
    def on_terminal_resources_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("terminal_resources.collected", bodies)

    @batch_event_handler("collection", "terminal_info.updated", dedupe=False)
    def on_terminal_info_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("terminal_info.updated", bodies)

    @batch_event_handler("collection", "special_use.reported", dedupe=False)
    def on_special_use_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("special_use.reported", bodies)

    @batch_event_handler("collection", "promotion.feedback_recorded", dedupe=False)
    def on_promotion_feedback_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("promotion.feedback_recorded", bodies)

    @batch_event_handler("collection", "shelving.recorded", dedupe=False)
    def on_shelving_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("shelving.recorded", bodies)

    @batch_event_handler("checkin", "checkin.recorded", dedupe=False)
    def on_checkin_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("checkin.recorded", bodies)

    @batch_event_handler("planning", "visit.completed", dedupe=False)
    def on_visit_completed_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("visit.completed", bodies)

    @batch_event_handler("planning", "follow_up.changed", dedupe=False)
    def on_follow_up_changed_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("follow_up.changed", bodies)

    @batch_event_handler("planning", "customer_issue.changed", dedupe=False)
    def on_customer_issue_changed_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("customer_issue.changed", bodies)

    @batch_event_handler("planning", "unplanned_task.recorded", dedupe=False)
    def on_unplanned_task_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("unplanned_task.recorded", bodies)

    @batch_event_handler("planning", "appointment.booked", dedupe=False)
    def on_appointment_booked_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("appointment.booked", bodies)

    @batch_event_handler("planning", "note.written", dedupe=False)
    def on_note_written_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("note.written", bodies)

    @batch_event_handler("planning", "notice.posted", dedupe=False)
    def on_notice_posted_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("notice.posted", bodies)

    @batch_event_handler("planning", "notice.read", dedupe=False)
    def on_notice_read_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("notice.read", bodies)

    @batch_event_handler("checkin", "scan.batch_accepted", dedupe=False)
    def on_scan_batch_accepted(self, bodies: list[dict[str, Any]]) -> None:
        events = [ScanBatchAccepted.from_body(body) for body in bodies]
        scan_views.apply_scan_batches(events, scans=self.deps.scans, timezone=self.deps.timezone, facts=self.deps.facts)

    @batch_event_handler("planning", "visit.missed", dedupe=False)
    def on_visit_missed_fact(self, bodies: list[dict[str, Any]]) -> None:
        self._facts("visit.missed", bodies)

    @Timer.decorator(interval=STANDARD_CHECK_SECONDS, eager=True)
    def follow_the_terminal_standard(self) -> None:
        """The terminal summaries summed again after the evaluation standard changed."""
        terminal_views.follow_the_standard(book=terminal_views.book_of(self.deps.facts))

    @Timer.decorator(interval=VALUE_CHECK_SECONDS)
    def judge_the_customer_values(self) -> None:
        """P-004-9's scheduled recompute: the class moves with the purchase window and the tenure
        even for customers who order nothing, so every customer is judged again once a day."""
        customer_value.judge_the_day(facts=self.deps.facts, book=self.deps.values)


def run() -> None:
    settings = AnalyticsSettings()
    configure_logging("analytics", "worker", settings.log_level)
    run_worker(AnalyticsWorker, settings)
