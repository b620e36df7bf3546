from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kombu
import pytest

from analytics.adapters.day_progress_store import DayProgressStore
from analytics.bootstrap import build_worker
from analytics.settings import AnalyticsSettings
from analytics.usecases import progress
from baifang_common.batching import BatchConsumer, event_queue
from baifang_common.events import TaskCompleted
from baifang_common.publisher import EventPublisher, exchange_for
from baifang_common.testing.plugin import consume_until, consumer_prefetch, declared_queues, unique
from baifang_common.testing.wait import wait_until

pytestmark = pytest.mark.integration

DATE = "2025-06-02"  # the date of the `day` fixture's events

# `isolation` comes before `spawn_process` in every signature so the worker is stopped before its
# vhost and database are removed (fixtures tear down in reverse order).

# Named here, not imported: importing baifang_common.worker would bring eventlet into pytest.
ATTEMPTS_HEADER = "x-baifang-attempts"
MAX_ATTEMPTS = 5
PLAN_QUEUE = "evt-planning-visit_plan.published--analytics.on_visit_plan_published"


def batched_queues() -> set[str]:
    """The queue of every `@batch_event_handler` of the worker, read from its source."""
    source = (Path(__file__).parents[2] / "analytics" / "worker.py").read_text(encoding="utf-8")
    handlers = re.findall(r'@batch_event_handler\("([\w.]+)", "([\w.]+)".*\)\n    def (\w+)', source)
    return {event_queue(producer, event_type, "analytics", method).name for producer, event_type, method in handlers}


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


def test_the_worker_is_ready_only_once_every_queue_exists(
    isolation: dict[str, str], spawn_process: Callable[..., Any]
) -> None:
    """An event routed to no queue is dropped: events published right after readiness must not be."""
    expected = batched_queues()
    assert len(expected) > 20  # the source was read
    spawn_process("analytics", "worker", env=isolation)
    assert expected - declared_queues(isolation["AMQP_URI"]) == set()
    # Batches of up to 1,000 events (ANALYTICS_CONSUMER_BATCH_MAX), the order import's of 200:
    # each consumer prefetches two batches.
    prefetch: dict[str, int] = {}

    def subscribed() -> bool:
        prefetch.update(consumer_prefetch(isolation["AMQP_URI"]))
        return expected <= prefetch.keys()

    wait_until(subscribed, timeout=10, what="every consumer subscribed")
    imports = event_queue("collection", "orders.recorded", "analytics", "on_orders_recorded_fact").name
    assert {prefetch[name] for name in expected - {imports}} == {2 * AnalyticsSettings().consumer_batch_max}
    assert prefetch[imports] == 2 * 200


def test_a_malformed_event_is_dead_lettered_and_its_batch_applied(
    day: Any, isolation: dict[str, str], days: DayProgressStore, spawn_process: Callable[..., Any]
) -> None:
    """Published before the worker starts, so the malformed plan and the good ones share a batch."""
    body = {**day.plan("m001", "t01").to_body()}
    del body["manager_id"]
    good = [unique("m") for _ in range(6)]
    with kombu.Connection(isolation["AMQP_URI"], transport_options={"confirm_publish": True}) as conn:
        exchange = exchange_for("planning")
        kombu.Queue(PLAN_QUEUE, exchange=exchange, routing_key="visit_plan.published", durable=True)(
            conn.channel()
        ).declare()
        producer = kombu.Producer(conn.channel())
        plans = [day.plan(m, "t01").to_body() for m in good]
        for plan in [*plans[:3], body, *plans[3:]]:
            producer.publish(
                plan, exchange=exchange, routing_key="visit_plan.published", serializer="json", delivery_mode=2
            )
        spawn_process("analytics", "worker", env={**isolation, "ANALYTICS_CONSUMER_BACKOFF_S": "[0.3]"})
        dlq = kombu.Queue(f"{PLAN_QUEUE}.dlq", durable=True)(conn.channel())
        dlq.declare()
        message = wait_until(dlq.get, timeout=45, interval=0.5, what="the malformed event in the dead-letter queue")
        assert message.payload["event_id"] == body["event_id"]
        assert int(message.headers[ATTEMPTS_HEADER]) > MAX_ATTEMPTS
        assert "manager_id" in message.headers["x-baifang-error"]
        message.ack()
    assert all(counts(days, m) == (3, 0, 6, 0, 0) for m in good)


class Killed(BaseException):
    """The worker process dies: nothing after this point runs (not even the ack)."""


def test_a_batched_consumer_killed_between_its_write_and_its_ack_applies_nothing_twice(
    day: Any, isolation: dict[str, str], analytics_settings: AnalyticsSettings, days: DayProgressStore
) -> None:
    deps = build_worker(analytics_settings)
    queue = event_queue("planning", "task.completed", "analytics", "on_task_completed")
    managers = [unique("m") for _ in range(3)]
    progress.apply_events([day.plan(m, "t01") for m in managers], days=deps.days)
    tasks = [
        day.task(m, "t01", f"{m}-v{v}", f"c{v}", f"{m}-v{v}-t{t}") for m in managers for v in (1, 2) for t in (1, 2)
    ]
    with kombu.Connection(isolation["AMQP_URI"]) as conn:
        queue.bind(conn.channel()).declare()
    publisher = EventPublisher(isolation["AMQP_URI"])
    publisher.publish_many([*tasks, *tasks[:4]])  # the first four delivered twice
    publisher.close()
    crashes = [True]

    def handle(bodies: list[dict[str, Any]]) -> None:
        progress.apply_events([TaskCompleted.from_body(body) for body in bodies], days=deps.days)
        if crashes:
            crashes.pop()
            raise Killed

    def consumer() -> BatchConsumer:
        return BatchConsumer(isolation["AMQP_URI"], queue, handle, event_types=["task.completed"], max_batch=5)

    with pytest.raises(Killed):
        consume_until(consumer(), lambda: False)
    assert sum(counts(days, m)[3] for m in managers) > 0  # the first batch was written

    consume_until(consumer(), lambda: all(counts(days, m) == (3, 0, 6, 4, 0) for m in managers))
    doc = days.collection.find_one({"_id": f"{managers[0]}:{DATE}"})
    assert doc is not None and len(doc["visits"][f"{managers[0]}-v1"]["tasks_done"]) == 2  # each task once
