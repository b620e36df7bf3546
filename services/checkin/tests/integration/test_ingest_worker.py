"""The ingestion path with the worker as a real subprocess: durability across a worker that never
ran, a broker outage and a worker killed mid-burst."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import grpc
import orjson
import pytest
from pymongo import MongoClient

from baifang.checkin.v1 import checkin_pb2, checkin_pb2_grpc
from baifang_common.testing.calls import caller_md, rpc_error
from baifang_common.testing.plugin import store_url_for
from baifang_common.testing.wait import wait_until
from checkin import bootstrap
from checkin.adapters.bucket_store import BucketStore
from checkin.bootstrap import GrpcDeps
from checkin.grpc_api import servicer
from checkin.settings import CheckinSettings

from .ingest_support import accept, metric, recent, stored_points, track
from .tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(settings_for: Callable[..., Any]) -> CheckinSettings:
    made: CheckinSettings = settings_for(CheckinSettings, queue_depth_cache_s=0.2)
    return made


@pytest.fixture
def grpc_deps(settings: CheckinSettings) -> Iterator[GrpcDeps]:
    deps = bootstrap.build_grpc(settings)
    yield deps
    deps.close()


@pytest.fixture
def buckets(isolation: dict[str, str]) -> Iterator[BucketStore]:
    mongo: MongoClient[dict[str, Any]] = MongoClient(store_url_for(CheckinSettings, isolation), tz_aware=True)
    yield BucketStore.tracks(mongo[f"baifang_checkin{isolation['BAIFANG_DB_SUFFIX']}"]["track_buckets"])
    mongo.close()


def handled(metrics_port: int) -> float:
    """Deliveries of track.batch_accepted the worker finished (applied or recognised as duplicate)."""
    name = "baifang_event_consume_seconds_count"
    return sum(
        metric(metrics_port, name, f'event_type="track.batch_accepted",outcome="{outcome}"')
        for outcome in ("applied", "duplicate")
    )


def points_per_manager(buckets: BucketStore) -> dict[str, int]:
    """manager id → points stored, as the reader merges them (one per distinct device timestamp)."""
    managers = {doc["manager_id"] for doc in buckets.collection.find({}, {"manager_id": 1})}
    return {manager: len(buckets.of_owner(manager)) for manager in managers}


def test_batches_accepted_before_the_worker_ever_ran_are_stored_once_when_it_starts(
    grpc_deps: GrpcDeps, isolation: dict[str, str], spawn_process: Callable[..., Any], buckets: BucketStore
) -> None:
    points = track(recent(), 50, step_s=5)
    accept(grpc_deps, points, batch_id="early")
    accept(grpc_deps, points, batch_id="early")  # the client resent it: same event id
    accept(grpc_deps, points)  # resent without a batch id: another event, the same points

    worker = spawn_process("checkin", "worker", env=isolation)  # declares the same queue: no conflict

    # Concurrent deliveries of one event id may both pass the inbox: the writes themselves are idempotent.
    wait_until(lambda: handled(worker.metrics_port) >= 3, timeout=30, what="three deliveries handled")
    assert points_per_manager(buckets) == {"m001": 50}


def test_broker_cut_refuses_new_batches_and_loses_nothing_acknowledged(
    settings: CheckinSettings,
    isolation: dict[str, str],
    grpc_server: Callable[..., Any],
    spawn_process: Callable[..., Any],
    buckets: BucketStore,
) -> None:
    parsed = urllib.parse.urlsplit(isolation["AMQP_URI"])
    with TcpProxy(parsed.hostname or "127.0.0.1", parsed.port or 5672) as proxy:
        proxied = parsed._replace(netloc=f"{parsed.username}:{parsed.password}@127.0.0.1:{proxy.port}").geturl()
        deps = bootstrap.build_grpc(settings.model_copy(update={"amqp_uri": proxied}))
        stub = checkin_pb2_grpc.CheckinServiceStub(grpc_server([servicer(deps)])[1])
        try:
            acknowledged = 0
            for n in range(4):
                body = orjson.dumps({"points": track(recent(50 - n * 10), 20, step_s=10)})
                answer = stub.AcceptTrackBatch(
                    checkin_pb2.AcceptTrackBatchRequest(json=body, batch_id=f"b{n}"), metadata=caller_md()
                )
                acknowledged += answer.accepted

            proxy.cut()
            during = checkin_pb2.AcceptTrackBatchRequest(
                json=orjson.dumps({"points": track(recent(5), 20, step_s=10)}), batch_id="during"
            )
            status, code, details = rpc_error(lambda: stub.AcceptTrackBatch(during, metadata=caller_md()))
            assert (status, code) == (grpc.StatusCode.UNAVAILABLE, "unavailable")
            assert details["retry_after"] == 2

            proxy.restore()  # the client retries the refused batch (same batch id) until it is taken

            def retried() -> bool:
                try:
                    return stub.AcceptTrackBatch(during, metadata=caller_md()).accepted == 20
                except grpc.RpcError as exc:
                    assert exc.code() == grpc.StatusCode.UNAVAILABLE
                    return False

            wait_until(retried, timeout=15, what="the retry accepted after the outage")
            acknowledged += 20
        finally:
            deps.close()

    spawn_process("checkin", "worker", env=isolation)
    wait_until(
        lambda: sum(points_per_manager(buckets).values()) >= acknowledged,
        timeout=30,
        what=f"{acknowledged} acknowledged points stored",
    )
    assert sum(points_per_manager(buckets).values()) == acknowledged == 100


def test_worker_killed_mid_burst_stores_every_point_exactly_once(
    grpc_deps: GrpcDeps, isolation: dict[str, str], spawn_process: Callable[..., Any], buckets: BucketStore
) -> None:
    expected: dict[str, set[str]] = {}
    start = recent(12 * 60)  # 300 batches span 250 minutes: all in the past, none too old
    for n in range(300):  # a backlog of seconds of work, so the worker is surely mid-burst when it dies
        manager = f"m00{n % 3 + 1}"
        points = track(start + timedelta(seconds=(n // 3) * 150), 100, step_s=2)  # a manager's batches overlap
        accept(grpc_deps, points, manager=manager, batch_id=f"burst-{n}")
        expected.setdefault(manager, set()).update(p["ts"] for p in points)
    total = sum(len(times) for times in expected.values())

    # Small batches, one at a time, for the victim (30 writes, so it dies mid-burst); its successor
    # runs with the defaults.
    victim_env = {**isolation, "WORKER_CONCURRENCY": "1", "CHECKIN_CONSUMER_BATCH_MAX": "10"}
    worker = spawn_process("checkin", "worker", env=victim_env)
    wait_until(lambda: metric_stored(worker.metrics_port) > 0, timeout=30, interval=0.005, what="first batch stored")
    worker.kill()  # SIGKILL: the deliveries it had not acknowledged go back to the queue
    worker.wait(timeout=10)
    assert sum(points_per_manager(buckets).values()) < total, "the burst ended before the kill"
    spawn_process("checkin", "worker", env=isolation)

    wait_until(
        lambda: sum(points_per_manager(buckets).values()) == total,
        timeout=60,
        what=f"{total} distinct points stored",
    )
    assert points_per_manager(buckets) == {manager: len(times) for manager, times in expected.items()}


def metric_stored(metrics_port: int) -> float:
    try:
        return stored_points(metrics_port)
    except OSError:
        return 0.0
