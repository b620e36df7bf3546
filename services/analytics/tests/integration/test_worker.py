from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kombu
import pytest

from analytics.adapters.day_progress_store import DayProgressStore
from baifang_common.publisher import EventPublisher, exchange_for
from baifang_common.testing.plugin import unique
from baifang_common.testing.wait import wait_until

pytestmark = pytest.mark.integration

DATE = "2025-06-02"  # the date of the `day` fixture's events

# `isolation` comes before `spawn_process` in every signature so the worker is stopped before its
# vhost and database are removed (fixtures tear down in reverse order).

# Named here, not imported: importing baifang_common.worker would bring eventlet into pytest.
ATTEMPTS_HEADER = "x-baifang-attempts"
MAX_ATTEMPTS = 5
PLAN_QUEUE = "evt-planning-visit_plan.published--analytics.on_visit_plan_published"


def counts(days: DayProgressStore, manager_id: str) -> tuple[int, ...] | None:
    found = next((m for m in days.team_day("t01", DATE) if m.manager_id == manager_id), None)
    if found is None:
        return None
    c = found.counts
    return (c.planned_customers, c.completed_customers, c.planned_tasks, c.executed_tasks, c.checked_in_customers)


def test_worker_builds_progress_from_published_events(
    day: Any, isolation: dict[str, str], days: DayProgressStore, spawn_process: Callable[..., Any]
) -> None:
    spawn_process("analytics", "worker", env=isolation)
    publisher = EventPublisher(isolation["AMQP_URI"])
    m = unique("m")
    v1 = f"{m}-v1"
    done = day.task(m, "t01", v1, "c1", f"{v1}-t1")
    publisher.publish_many(
        [
            day.plan(m, "t01"),
            day.checkin(m, "t01", v1, "c1"),
            done,
            done,  # redelivered: same event_id, applied once
            day.completed(m, "t01", v1, "c1", done=1, total=2),
        ]
    )
    publisher.close()
    # 3 planned customers and 6 planned tasks; v1 completed with 1 task, checked in.
    wait_until(lambda: counts(days, m) == (3, 1, 6, 1, 1), timeout=10, what="progress from events")
    processed = days.collection.database["processed_events"]
    assert processed.count_documents({"_id": done.event_id}) == 1


def test_malformed_event_is_dead_lettered_after_retries(
    day: Any, isolation: dict[str, str], spawn_process: Callable[..., Any]
) -> None:
    """The back-off in baifang_common.worker totals about 22 s before the dead-letter queue."""
    spawn_process("analytics", "worker", env=isolation)
    body = {**day.plan("m001", "t01").to_body()}
    del body["manager_id"]
    with kombu.Connection(isolation["AMQP_URI"], transport_options={"confirm_publish": True}) as conn:
        exchange = exchange_for("planning")
        kombu.Producer(conn.channel()).publish(
            body, exchange=exchange, routing_key="visit_plan.published", serializer="json", delivery_mode=2
        )
        dlq = kombu.Queue(f"{PLAN_QUEUE}.dlq", durable=True)(conn.channel())
        dlq.declare()
        message = wait_until(dlq.get, timeout=45, interval=0.5, what="the malformed event in the dead-letter queue")
        assert message.payload["event_id"] == body["event_id"]
        assert int(message.headers[ATTEMPTS_HEADER]) > MAX_ATTEMPTS
        assert "manager_id" in message.headers["x-baifang-error"]
        message.ack()
