"""The batched consumer against the real RabbitMQ and store: one write per batch, acknowledged after
it; a poison message dead-lettered without holding back the rest; a crash before the ack; an outage
of the store that dead-letters nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import kombu
import pytest
from pymongo import MongoClient
from pymongo.collection import Collection

from baifang_common.batching import BatchConsumer, RetryPolicy, dead_letter_queue, event_queue, retry_queue
from baifang_common.inbox import ProcessedEvents
from baifang_common.mongo import insert_new
from baifang_common.publisher import exchange_for
from baifang_common.testing.plugin import StoreProcess, consume_until, unique

pytestmark = pytest.mark.integration

SOURCE, EVENT = "testsrc", "thing.happened"


class Killed(BaseException):
    """The process dies: nothing after this point runs (not even the ack)."""


class Sink:
    """A handler that inserts one document per event (ids from the events), one write per call."""

    def __init__(self, collection: Collection[dict[str, Any]]) -> None:
        self.collection = collection
        self.calls: list[int] = []
        self.crash_after_write = False

    def __call__(self, bodies: list[dict[str, Any]]) -> None:
        self.calls.append(len(bodies))
        if any(body.get("poison") for body in bodies):
            raise ValueError("a poison message")
        insert_new(self.collection, [{"_id": body["event_id"], "n": body["n"]} for body in bodies])
        if self.crash_after_write:
            self.crash_after_write = False
            raise Killed


@pytest.fixture
def database(isolation: dict[str, str]) -> Iterator[Any]:
    client: MongoClient[dict[str, Any]] = MongoClient(isolation["MONGO_URL"])
    yield client[f"baifang_batching{isolation['BAIFANG_DB_SUFFIX']}"]
    client.close()


@pytest.fixture
def queue(amqp_uri: str) -> kombu.Queue:
    declared = event_queue(SOURCE, EVENT, "tests", unique("apply"))
    with kombu.Connection(amqp_uri) as conn:
        declared.bind(conn.channel()).declare()
    return declared


def publish(amqp_uri: str, bodies: list[dict[str, Any]]) -> None:
    with kombu.Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        producer = kombu.Producer(conn.channel())
        for body in bodies:
            producer.publish(
                {"event_type": EVENT, **body},
                exchange=exchange_for(SOURCE),
                routing_key=EVENT,
                serializer="json",
                delivery_mode=2,
            )


def events(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"event_id": f"e{i}", "n": i} for i in range(start, start + n)]


def waiting(amqp_uri: str, queue: kombu.Queue) -> int:
    """Messages ready in a queue (a stopped consumer's unacknowledged ones are ready again)."""
    with kombu.Connection(amqp_uri) as conn:
        return int(queue.bind(conn.channel()).queue_declare(passive=True).message_count)


def consumer(amqp_uri: str, queue: kombu.Queue, sink: Callable[..., None], **options: Any) -> BatchConsumer:
    return BatchConsumer(amqp_uri, queue, sink, event_types=[EVENT], **options)


def test_a_batch_is_one_write_acknowledged_after_it(amqp_uri: str, queue: kombu.Queue, database: Any) -> None:
    sink = Sink(database["sink"])
    publish(amqp_uri, events(60))

    consume_until(
        consumer(amqp_uri, queue, sink, max_batch=25, max_wait_s=0.2),
        lambda: sink.collection.count_documents({}) == 60,
    )

    assert sum(sink.calls) == 60 and max(sink.calls) <= 25 and len(sink.calls) < 60
    assert waiting(amqp_uri, queue) == 0  # all acknowledged


def test_a_poison_message_goes_to_the_dlq_without_holding_back_the_others(
    amqp_uri: str, queue: kombu.Queue, database: Any
) -> None:
    sink = Sink(database["sink"])
    poison = {"event_id": "bad", "n": -1, "poison": True}
    publish(amqp_uri, [*events(20), poison, *events(20, start=20)])
    dlq = dead_letter_queue(queue.name)
    with kombu.Connection(amqp_uri) as conn:
        dlq.bind(conn.channel()).declare()

    consume_until(
        consumer(amqp_uri, queue, sink, max_batch=100, policy=RetryPolicy(max_attempts=3, backoff_s=(0.2,))),
        lambda: waiting(amqp_uri, dlq) == 1,
    )

    assert sink.collection.count_documents({}) == 40
    with kombu.Connection(amqp_uri) as conn:
        message = dlq.bind(conn.channel()).get(no_ack=True)
        assert message is not None and message.payload["event_id"] == "bad"
        assert int(message.headers["x-baifang-attempts"]) == 4
        assert "poison" in message.headers["x-baifang-error"]
    assert waiting(amqp_uri, queue) == waiting(amqp_uri, retry_queue(queue.name)) == 0


def test_killed_between_its_write_and_its_ack_loses_nothing_and_applies_nothing_twice(
    amqp_uri: str, queue: kombu.Queue, database: Any
) -> None:
    sink = Sink(database["sink"])
    inbox = ProcessedEvents(database["processed_events"])
    publish(amqp_uri, events(40))
    sink.crash_after_write = True

    with pytest.raises(Killed):
        consume_until(consumer(amqp_uri, queue, sink, max_batch=40, inbox=lambda: inbox), lambda: False)
    written = sink.collection.count_documents({})
    assert written > 0 and waiting(amqp_uri, queue) == 40  # written, never acknowledged: all back in the queue

    consume_until(
        consumer(amqp_uri, queue, sink, max_batch=40, inbox=lambda: inbox),
        lambda: waiting(amqp_uri, queue) == 0 and inbox.collection.count_documents({}) == 40,
    )
    assert sorted(doc["n"] for doc in sink.collection.find({})) == list(range(40))
    assert sorted(inbox.seen_many([f"e{i}" for i in range(40)])) == sorted(f"e{i}" for i in range(40))


def test_a_store_outage_holds_the_batch_and_dead_letters_nothing(
    amqp_uri: str, queue: kombu.Queue, store_process: StoreProcess
) -> None:
    client: MongoClient[dict[str, Any]] = MongoClient(store_process.url, serverSelectionTimeoutMS=300)
    sink = Sink(client["outage"]["sink"])
    store_process.stop()
    publish(amqp_uri, events(30))

    def after_a_few_failures() -> bool:
        if len(sink.calls) >= 3 and store_process.proc is None:
            store_process.start()
        return sink.collection.count_documents({}) == 30 if store_process.proc else False

    consume_until(consumer(amqp_uri, queue, sink, outage_backoff_s=(0.1,)), after_a_few_failures)

    # The whole batch again and again, never split. At least three calls: the third may succeed when
    # the store comes back while it is still selecting a server.
    assert len(sink.calls) >= 3 and set(sink.calls) == {30}
    assert waiting(amqp_uri, queue) == 0
    for parked in (retry_queue(queue.name), dead_letter_queue(queue.name)):
        with kombu.Connection(amqp_uri) as conn:
            assert not parked.bind(conn.channel()).queue_declare(passive=False).message_count
    client.close()
